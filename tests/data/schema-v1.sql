-- schema-v1.sql - jokes.db as schema version 1 made it (before categories), for migration tests.
CREATE TABLE jokes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  source_id TEXT NOT NULL,
  text TEXT NOT NULL,
  text_key TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  UNIQUE (source, source_id));
CREATE INDEX jokes_text_key ON jokes(text_key);
CREATE VIRTUAL TABLE jokes_fts USING fts5(text, content='jokes', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER jokes_ai AFTER INSERT ON jokes BEGIN
  INSERT INTO jokes_fts(rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER jokes_ad AFTER DELETE ON jokes BEGIN
  INSERT INTO jokes_fts(jokes_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER jokes_au AFTER UPDATE ON jokes BEGIN
  INSERT INTO jokes_fts(jokes_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO jokes_fts(rowid, text) VALUES (new.id, new.text); END;
CREATE TABLE source_state (
  source TEXT PRIMARY KEY,
  rest_until INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0);
PRAGMA user_version = 1;
