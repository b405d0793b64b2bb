import CMariaDB

/// Process-wide set-up of the client library.
enum MariaDBLibrary {
    /// `mysql_library_init` (a macro, hence `mysql_server_init`) is not thread-safe and must run once before any
    /// thread uses the library; a static `let` gives exactly-once, thread-safe initialisation.
    private static let initialized: Bool = mysql_server_init(0, nil, nil) == 0

    /// Call on a thread-pool thread before any other library call made from it.
    static func prepareThread() throws {
        guard initialized else { throw MariaDBError.wrapper("the MariaDB client library failed to initialise") }
        // Sets up the library's per-thread state; cheap and idempotent, so it runs before every blocking job.
        _ = mysql_thread_init()
    }
}
