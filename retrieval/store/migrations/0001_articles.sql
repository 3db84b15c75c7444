-- Articles, passages with pre-analysed terms, and embeddings per embedder.
-- IF NOT EXISTS: a store whose store_migrations rows were damaged re-runs this safely.
CREATE TABLE IF NOT EXISTS documents (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	title_derived INTEGER NOT NULL DEFAULT 0,
	published TEXT NOT NULL DEFAULT '',
	site TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	hash TEXT NOT NULL,
	-- sha256 of text: an ingest compares files with documents without
	-- loading every article's text
	text_hash TEXT NOT NULL DEFAULT '',
	-- words in text: listing articles needs no text either
	words INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS passages (
	id TEXT PRIMARY KEY,
	doc_id TEXT NOT NULL,
	idx INTEGER NOT NULL,
	title TEXT NOT NULL,
	heading TEXT NOT NULL DEFAULT '',
	sentences BLOB NOT NULL,
	terms TEXT NOT NULL,
	embed_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id, idx);
CREATE INDEX IF NOT EXISTS passages_by_key ON passages(embed_key);
CREATE TABLE IF NOT EXISTS embeddings (
	embedder TEXT NOT NULL,
	key TEXT NOT NULL,
	dims INTEGER NOT NULL,
	vec BLOB NOT NULL,
	PRIMARY KEY (embedder, key)
) WITHOUT ROWID; -- clustered by embedder: start-up reads one embedder's vectors in one range scan
-- The change counter: one row per document written or removed. A server
-- reads the rows after the last seq it saw and reloads only those documents.
CREATE TABLE IF NOT EXISTS changes (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	doc_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
