import MariaDB
import Testing

@Suite("MariaDB: configuration from URLs")
struct MariaDBConfigurationTests {
    @Test("user, password (percent-decoded), host, port and database come from the URL")
    func basicURL() throws {
        let config = try MariaDBConfiguration(url: "mysql://chat%40one:p%3Ass%2Fw@db.example:3307/chat_db")
        #expect(config.username == "chat@one")
        #expect(config.password == "p:ss/w")
        #expect(config.host == "db.example")
        #expect(config.port == 3307)
        #expect(config.database == "chat_db")
        #expect(config.tlsMode == .disabled)
        #expect(config.maximumConnections == 10)
    }

    @Test("mariadb:// works the same; the port defaults to 3306")
    func mariadbScheme() throws {
        let config = try MariaDBConfiguration(url: "mariadb://root@localhost/x")
        #expect(config.port == 3306)
        #expect(config.password == nil)
        #expect(config.database == "x")
    }

    @Test(
        "TLS is chosen in the URL",
        arguments: [
            ("?ssl=true", MariaDBConfiguration.TLSMode.required),
            ("?ssl=false", .disabled),
            ("?sslmode=preferred", .preferred),
            ("?sslmode=REQUIRED", .required),
            ("?sslmode=verify_ca&sslca=/etc/ca.pem", .verifyCA),
            ("?sslmode=verify-full", .verifyFull),
            ("?sslmode=disable", .disabled),
        ])
    func tlsModes(query: String, mode: MariaDBConfiguration.TLSMode) throws {
        let config = try MariaDBConfiguration(url: "mysql://u:p@h/db" + query)
        #expect(config.tlsMode == mode)
        if query.contains("sslca") { #expect(config.tlsCA == "/etc/ca.pem") }
    }

    @Test("timeouts and pool size are options")
    func numbers() throws {
        let config = try MariaDBConfiguration(url: "mysql://u:p@h/db?connect_timeout=3&read_timeout=7&write_timeout=9&pool_size=4")
        #expect(config.connectTimeout == 3)
        #expect(config.readTimeout == 7)
        #expect(config.writeTimeout == 9)
        #expect(config.maximumConnections == 4)
    }

    @Test(
        "bad URLs are refused with a message that never repeats the password",
        arguments: ["postgres://u:secretpw@h/db", "mysql://h/db", "mysql://u:secretpw@h/db?sslmode=sometimes", "mysql://u:secretpw@h/db?pool_size=0",
                    "mysql://u:secretpw@h/db?bogus=1", "mysql://u:secretpw@h/db?read_timeout=soon"])
    func badURLs(url: String) throws {
        let error = try #require(throws: MariaDBError.self) { try MariaDBConfiguration(url: url) }
        #expect(!error.message.contains("secretpw"))
    }
}
