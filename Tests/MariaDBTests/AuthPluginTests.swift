import CMariaDB
import Testing

@Suite("MariaDB: client authentication plugins")
struct AuthPluginTests {
    /// MySQL 8 creates users with caching_sha2_password; the Connector/C loads its client side from the plugin
    /// directory on demand. Loading it here proves this machine's libmariadb can log in to such users.
    @Test("the caching_sha2_password and sha256_password client plugins load", arguments: ["caching_sha2_password", "sha256_password"])
    func pluginLoads(name: String) throws {
        _ = mysql_server_init(0, nil, nil)
        let handle = try #require(mysql_init(nil))
        defer { mysql_close(handle) }
        // MYSQL_CLIENT_AUTHENTICATION_PLUGIN is 2; the variadic mysql_load_plugin is reached through its va_list twin.
        let plugin = withVaList([]) { mysql_load_plugin_v(handle, name, 2, 0, $0) }
        let message = mysql_error(handle).map { String(cString: $0) } ?? ""
        #expect(plugin != nil, "\(message)")
    }
}
