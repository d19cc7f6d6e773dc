//! Diesel's view of the tables queried through the DSL.

diesel::table! {
    upsignon_schema_ledger (version) {
        version -> Text,
        name -> Text,
        checksum -> Text,
        down_sql -> Text,
        irreversible -> Bool,
        applied_by -> Text,
        applied_at -> BigInt,
    }
}
