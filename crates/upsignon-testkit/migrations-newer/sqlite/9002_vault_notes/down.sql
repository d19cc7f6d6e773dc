DROP TABLE vault_notes;
