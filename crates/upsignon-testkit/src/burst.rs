//! Requests released at the same instant: `n` threads, each with its own
//! HTTPS client and runtime, prepare (a warmed connection and whatever the
//! request needs), wait behind one barrier, then fire. What "single use",
//! "at most N" and "never zero owners" must survive.

use std::future::Future;
use std::sync::Barrier;

use actix_web::rt::System;

use crate::TestApp;

impl TestApp {
    /// Runs `prepare(i, client)` in each of `n` threads, then, all at once,
    /// `fire(i, client, prepared)`; returns what each `fire` returned, in
    /// thread order. The test's own clients must not be used inside: their
    /// connections belong to the test's runtime.
    pub fn burst<P, R, PF, PFut, FF, FFut>(&self, n: usize, prepare: PF, fire: FF) -> Vec<R>
    where
        PF: Fn(usize, reqwest::Client) -> PFut + Sync,
        PFut: Future<Output = P>,
        FF: Fn(usize, reqwest::Client, P) -> FFut + Sync,
        FFut: Future<Output = R>,
        R: Send,
    {
        let barrier = Barrier::new(n);
        let live = self.url("/health/live");
        let clients: Vec<_> = (0..n).map(|_| self.client_without_redirects()).collect();
        std::thread::scope(|scope| {
            let runs: Vec<_> = clients
                .into_iter()
                .enumerate()
                .map(|(i, http)| {
                    let (barrier, prepare, fire, live) = (&barrier, &prepare, &fire, live.clone());
                    scope.spawn(move || {
                        System::new().block_on(async move {
                            // The TLS handshake is done before the barrier.
                            let warm = http.get(&live).send().await.expect("the server answers");
                            let _ = warm.text().await;
                            let prepared = prepare(i, http.clone()).await;
                            barrier.wait();
                            fire(i, http, prepared).await
                        })
                    })
                })
                .collect();
            runs.into_iter()
                .map(|run| run.join().expect("a burst thread"))
                .collect()
        })
    }
}
