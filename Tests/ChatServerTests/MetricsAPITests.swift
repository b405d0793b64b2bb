import ChatCore
import ChatServer
import ChatTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /metrics` after real traffic: REST requests, sockets and their events, stored messages, a rate-limit
/// refusal; every counter must have moved by exactly what the traffic did, and no user data may appear in a label.
@Suite("Metrics: GET /metrics after real traffic")
struct MetricsAPITests {
    /// The Prometheus text format, parsed: (name, labels) → value.
    struct Scrape {
        var samples: [String: Double] = [:]
        var text: String

        init(_ text: String) {
            self.text = text
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[Self.key(String(line[..<space]))] = value
            }
        }

        /// `name{b="2",a="1"}` → `name{a="1",b="2"}`, so lookups do not depend on the exposition's label order.
        static func key(_ series: String) -> String {
            guard let open = series.firstIndex(of: "{"), series.hasSuffix("}") else { return series }
            let labels = series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",").sorted()
            return series[..<open] + "{" + labels.joined(separator: ",") + "}"
        }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
            let series = labels.isEmpty ? name : name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
            return samples[Self.key(series)] ?? 0
        }
    }

    static func scrape(_ api: APIClient) async throws -> Scrape {
        let response = try await api.request(.get, "/metrics")
        #expect(response.status == 200)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return Scrape(response.raw)
    }

    @Test("counters move by exactly what the traffic did", arguments: TestBackend.servers)
    func countersAfterTraffic(_ backend: TestBackend) async throws {
        try await TestApp.live(
            on: backend,
            configure: { config in config.rateLimits.typingPerUser = RateLimit(burst: 1, per: .seconds(3600)) }
        ) { port, api in
            let ann = try await api.register("ann_metrics")
            let ben = try await api.register("ben_metrics")
            let conversation = try await api.conversationID(ann, with: ben)
            let before = try await Self.scrape(api)

            let annSocket = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let benSocket = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            // Three sends over the socket, one over REST, and the REST one again (idempotent: nothing new stored).
            for n in 1...3 {
                let ack = try await annSocket.emit("message:send", #"{"conversationId":"\#(conversation)","content":"socket \#(n)"}"#)
                #expect(ack["success"]?.bool == true)
            }
            #expect(try await api.send(ann, conversation, "rest", clientMessageID: "once").status == 201)
            #expect(try await api.send(ann, conversation, "rest", clientMessageID: "once").status == 200)
            for _ in 1...4 { _ = try await benSocket.event("message:new") }
            // Two typing events: the limit allows one, refuses the other.
            #expect(try await annSocket.emit("typing", #"{"conversationId":"\#(conversation)","isTyping":true}"#)["success"]?.bool == true)
            #expect(try await annSocket.emit("typing", #"{"conversationId":"\#(conversation)","isTyping":true}"#)["error"]?["code"]?.string == "RATE_LIMITED")
            // An event no one defined, under a name a client made up.
            #expect(try await annSocket.emit("secret-\(ann.username)", "{}")["error"]?["code"]?.string == "NOT_FOUND")
            // A conversation that does not exist, and a path no route has.
            #expect(try await api.request(.get, "/api/v1/conversations/424242", token: ann.accessToken).status == 404)
            #expect(try await api.request(.get, "/no/such/\(ann.username)").status == 404)

            let during = try await Self.scrape(api)
            #expect(during.value("chatone_sockets_connected") == 2)
            await annSocket.close()
            await benSocket.close()
            let after = try await Self.scrape(api)
            func delta(_ name: String, _ labels: [String: String] = [:]) -> Double { after.value(name, labels) - before.value(name, labels) }

            #expect(delta("chatone_messages_stored_total") == 4)
            // Batches hold every draft, the resend too (the store finds it and stores nothing).
            #expect(delta("chatone_append_batch_size_sum") == 5)
            #expect(delta("chatone_append_commit_duration_seconds_count") == delta("chatone_append_batch_size_count"))
            #expect(delta("chatone_append_commit_duration_seconds_count") >= 1)
            #expect(delta("chatone_message_delivery_latency_seconds_count") == 4)
            #expect(delta("chatone_socket_events_received_total", ["event": "message:send"]) == 3)
            #expect(delta("chatone_socket_events_received_total", ["event": "typing"]) == 2)
            #expect(delta("chatone_socket_events_received_total", ["event": "unknown"]) == 1)
            #expect(delta("chatone_socket_events_emitted_total", ["event": "message:new"]) == 4)
            #expect(delta("chatone_socket_events_emitted_total", ["event": "typing"]) == 1)
            #expect(delta("chatone_rate_limited_total", ["limit": "typing_per_user"]) == 1)
            #expect(delta("chatone_rate_limited_total", ["limit": "messages_per_user"]) == 0)
            #expect(before.value("chatone_sockets_connected") == 0)
            #expect(after.value("chatone_bcrypt_queue_depth") == 0)
            #expect(after.value("process_resident_memory_bytes") > 1_000_000)
            #expect(after.value("process_open_fds") > 3)

            let messages = "/api/v1/conversations/{conversationId}/messages"
            #expect(delta("chatone_http_requests_total", ["route": messages, "method": "POST", "status": "201"]) == 1)
            #expect(delta("chatone_http_requests_total", ["route": messages, "method": "POST", "status": "200"]) == 1)
            #expect(delta("chatone_http_request_duration_seconds_count", ["route": messages, "method": "POST"]) == 2)
            #expect(delta("chatone_http_requests_total", ["route": "/api/v1/conversations/{conversationId}", "method": "GET", "status": "404"]) == 1)
            #expect(delta("chatone_http_requests_total", ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
            // The earlier scrapes are counted by the last.
            #expect(after.value("chatone_http_requests_total", ["route": "/metrics", "method": "GET", "status": "200"]) == 2)
            #expect(before.value("chatone_http_requests_total", ["route": "/api/v1/auth/register", "method": "POST", "status": "201"]) == 2)

            // No ids, names or made-up event names in any label.
            for secret in [conversation, ann.id, ann.username, ben.username, "conversations/424242", "/no/such", "secret-"] {
                #expect(!after.text.contains(secret), "\(secret) appears in /metrics")
            }
        }
    }

    @Test("callers that wait for a busy database connection are counted")
    func poolWaits() async throws {
        try await TestApp.run(on: .sqliteFile) { api in
            let ann = try await api.register("ann_pool")
            let ben = try await api.register("ben_pool")
            let conversation = try await api.conversationID(ann, with: ben)
            // Full pages make each read take a while on its reader connection, so that on a loaded machine too
            // some of the reads find all four busy (40 small ones once all ran one after another).
            for index in 0..<50 { #expect(try await api.send(ann, conversation, "message \(index)").status == 201) }
            // Far more history reads at once than the four reader connections: most of them wait their turn.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await api.request(.get, "/api/v1/conversations/\(conversation)/messages", token: ann.accessToken).status }
                }
                for try await status in group { #expect(status == 200) }
            }
            let scrape = try await Self.scrape(api)
            let waits = scrape.value("chatone_db_pool_waits_total", ["pool": "sqlite_readers"])
            #expect(waits > 0)
            #expect(scrape.value("chatone_db_pool_wait_duration_seconds_count", ["pool": "sqlite_readers"]) == waits)
        }
    }

    @Test("CHATONE_METRICS_ADDRESS moves /metrics to its own listener")
    func separateAddress() async throws {
        #expect(ListenAddress(parsing: "127.0.0.1:9464") == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(ListenAddress(parsing: "[::1]:9464") == ListenAddress(host: "::1", port: 9464))
        for bad in ["9464", "host:", ":9464", "host:0", "host:70000", "::1:9464"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
        #expect(throws: ChatError.self) { try ServerConfig.fromEnvironment(["CHATONE_METRICS_ADDRESS": "nope"]) }
        #expect(try ServerConfig.fromEnvironment(["CHATONE_METRICS_ADDRESS": "0.0.0.0:9464"]).metricsAddress == ListenAddress(host: "0.0.0.0", port: 9464))

        let port = try Self.freePort()
        try await TestApp.live(
            on: .sqliteFile, configure: { config in config.metricsAddress = ListenAddress(host: "127.0.0.1", port: port) }
        ) { _, api in
            // Not on the API's listener any more…
            #expect(try await api.request(.get, "/metrics").status == 404)
            _ = try await api.register("metrics_user")
            // …but on its own, with the API's numbers.
            let (body, response) = try await Self.get("http://127.0.0.1:\(port)/metrics")
            #expect(response.statusCode == 200)
            let scrape = Scrape(body)
            #expect(scrape.value("chatone_http_requests_total", ["route": "/api/v1/auth/register", "method": "POST", "status": "201"]) == 1)
            #expect(scrape.value("chatone_http_requests_total", ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { throw SocketIOTestError("no free port") }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func get(_ url: String) async throws -> (String, HTTPURLResponse) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return (String(decoding: data, as: UTF8.self), response as! HTTPURLResponse)
    }
}
