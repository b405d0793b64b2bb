import SQLKit

/// PostgreSQL's half of message search: a GIN index over `to_tsvector('simple', chatone_search_text(content))`.
///
/// - `'simple'`: words lower-cased, no stemming and no stop words, whatever the language.
/// - `chatone_search_text` folds accents with the `unaccent` extension (Debian's `postgresql` ships it; it is a
///   trusted extension, so the database's owner may create it), so `cafe` finds `café` as on SQLite and MariaDB.
///   `unaccent()` itself is only STABLE (it looks its dictionary up by the search path), which an index expression
///   may not use; the wrapper is IMMUTABLE and names the function and the dictionary with their schema, so it means
///   the same thing in every session, including autovacuum's and a restore's.
/// - `chatone_search_term(word, prefix)` turns one search word into a `tsquery` without ever reading it as query
///   syntax: the folded word is quoted (after the two characters that could end a quote are made spaces, since
///   folding can produce them, `ʼ` → `'`), so a word is only ever lexemes, the last one a prefix when asked. A word
///   that folds to nothing gives NULL, which matches nothing.
enum PostgresSearchSchema {
    static func create(on db: any SQLDatabase) async throws {
        do {
            try await db.raw("CREATE EXTENSION IF NOT EXISTS unaccent").run()
        } catch {
            throw DatabaseOpenError(
                "creating the PostgreSQL extension unaccent failed (\(String(reflecting: error))): the database's owner can "
                    + "create it, or an administrator can run CREATE EXTENSION unaccent in the database first")
        }
        // Wherever the extension lives (an administrator may have created it in another schema beforehand).
        guard let schema = try await db.raw(
            "SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'unaccent'"
        ).first(decoding: SchemaRow.self)?.schema else {
            throw DatabaseOpenError("the PostgreSQL extension unaccent is missing after CREATE EXTENSION")
        }
        let qualified = quoteIdentifier(schema)
        try await db.raw(
            """
            CREATE FUNCTION chatone_search_text(content text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $$ SELECT \(unsafeRaw: qualified).unaccent('\(unsafeRaw: qualified.replacingOccurrences(of: "'", with: "''")).unaccent'::regdictionary, content) $$
            """
        ).run()
        try await db.raw(
            """
            CREATE FUNCTION chatone_search_term(word text, prefix boolean) RETURNS tsquery
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $$
                SELECT CASE WHEN folded = '' THEN NULL
                    ELSE to_tsquery('simple', '''' || folded || CASE WHEN prefix THEN ''':*' ELSE '''' END) END
                FROM (SELECT btrim(regexp_replace(chatone_search_text(word), '[''\\\\[:space:]]+', ' ', 'g')) AS folded) AS w
            $$
            """
        ).run()
        try await db.raw(
            "CREATE INDEX messages_content_fts ON messages USING GIN (to_tsvector('simple', chatone_search_text(content)))"
        ).run()
    }

    private struct SchemaRow: Decodable { var schema: String }

    /// A schema name as a quoted SQL identifier (it comes from the catalog, not from a user).
    private static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
