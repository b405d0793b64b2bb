import ChatCore
import ChatServer
import Testing

/// The socket heartbeat settings read from the environment.
@Suite struct SocketConfigTests {
    @Test func heartbeatDefaultsMatchTheReferenceServer() throws {
        let config = try ServerConfig.fromEnvironment([:])
        #expect(config.socketPingInterval == 25)
        #expect(config.socketPingTimeout == 20)
    }

    @Test func heartbeatIsReadFromTheEnvironment() throws {
        let config = try ServerConfig.fromEnvironment(["CHATONE_SOCKET_PING_INTERVAL": "5", "CHATONE_SOCKET_PING_TIMEOUT": "3"])
        #expect(config.socketPingInterval == 5)
        #expect(config.socketPingTimeout == 3)
    }

    @Test(arguments: ["0", "-1", "soon", ""])
    func invalidHeartbeatValuesAreRefusedNamingTheVariable(_ value: String) throws {
        #expect(throws: ChatError.validation("CHATONE_SOCKET_PING_INTERVAL must be a positive number of seconds", field: "CHATONE_SOCKET_PING_INTERVAL")) {
            _ = try ServerConfig.fromEnvironment(["CHATONE_SOCKET_PING_INTERVAL": value])
        }
        #expect(throws: ChatError.validation("CHATONE_SOCKET_PING_TIMEOUT must be a positive number of seconds", field: "CHATONE_SOCKET_PING_TIMEOUT")) {
            _ = try ServerConfig.fromEnvironment(["CHATONE_SOCKET_PING_TIMEOUT": value])
        }
    }

    @Test func recoveryWindowDefaultsToTwoMinutesAndCanBeTurnedOff() throws {
        #expect(try ServerConfig.fromEnvironment([:]).recoveryWindow == 120)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_WINDOW": "30"]).recoveryWindow == 30)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_WINDOW": "0"]).recoveryWindow == 0)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_WINDOW": "off"]).recoveryWindow == 0)
        #expect(try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_MAX_EVENTS": "5000"]).recoveryMaxEvents == 5000)
        #expect(throws: ChatError.self) { _ = try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_MAX_EVENTS": "10"]) }
        for value in ["-1", "soon", "3601"] {
            #expect(throws: ChatError.self) { _ = try ServerConfig.fromEnvironment(["CHATONE_RECOVERY_WINDOW": value]) }
        }
    }
}
