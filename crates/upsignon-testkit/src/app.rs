pub struct TestApp; pub fn spawn_app() {} pub fn spawn_app_with() {}
