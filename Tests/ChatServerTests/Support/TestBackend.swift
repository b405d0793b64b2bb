/// The databases every API test runs on: SQLite always, MariaDB when `CHATONE_TEST_MYSQL_URL` names a server.
enum TestBackend: String, Sendable, CaseIterable {
    case sqlite
    case mariadb
}
