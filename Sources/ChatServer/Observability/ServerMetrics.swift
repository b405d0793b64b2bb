import ChatCore
import Metrics
import struct Prometheus.PrometheusMetricsFactory
import class Prometheus.PrometheusCollectorRegistry
import Synchronization

/// One server's metrics: its own Prometheus registry (so two servers in one process, as in the tests, never mix
/// their numbers), the instruments of every layer made from it, and the gauges read at scrape time.
///
/// Labels are route templates, method names, status codes, event names and limit names, all chosen by the code:
/// an event name a client invents is counted as `unknown`, an unmatched path as `unmatched`, so no user data and no
/// unbounded set of series reaches a label. docs/operations.md lists every metric.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// What ChatCore and ChatSQL record with (messages, appends, delivery, rate limits, pool waits).
    let chat: ChatMetrics
    private let factory: PrometheusMetricsFactory
    private let http = Mutex<[HTTPSeries: HTTPInstruments]>([:])
    private let eventsIn: [String: CoreMetrics.Counter]
    private let unknownEventIn: CoreMetrics.Counter
    private let eventsOut = Mutex<[String: CoreMetrics.Counter]>([:])
    private let sampled: SampledGauges

    /// The Socket.IO events clients may send (API.md); any other name is counted as `unknown`.
    static let clientEvents = [
        RealtimeEvent.messageSend, RealtimeEvent.messageEdit, RealtimeEvent.messageDelete, RealtimeEvent.messageRead,
        RealtimeEvent.typing, RealtimeEvent.authRenew,
    ]

    private struct HTTPSeries: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct HTTPInstruments {
        var requests: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
    }

    /// Gauges whose value is read when Prometheus scrapes, rather than kept up to date on every change.
    private struct SampledGauges {
        var socketsConnected: CoreMetrics.Gauge
        var engineSessions: CoreMetrics.Gauge
        var bcryptQueueDepth: CoreMetrics.Gauge
        var residentMemory: CoreMetrics.Gauge
        var openFDs: CoreMetrics.Gauge
        var maxFDs: CoreMetrics.Gauge
    }

    init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5),
        ]
        factory.defaultDurationHistogramBuckets = fast
        factory.valueHistogramBuckets["chatone_append_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        self.registry = registry
        self.factory = factory
        self.chat = ChatMetrics(factory: factory)
        var eventsIn: [String: CoreMetrics.Counter] = [:]
        for name in Self.clientEvents {
            eventsIn[name] = CoreMetrics.Counter(label: "chatone_socket_events_received_total", dimensions: [("event", name)], factory: factory)
        }
        self.eventsIn = eventsIn
        unknownEventIn = CoreMetrics.Counter(label: "chatone_socket_events_received_total", dimensions: [("event", "unknown")], factory: factory)
        sampled = SampledGauges(
            socketsConnected: CoreMetrics.Gauge(label: "chatone_sockets_connected", factory: factory),
            engineSessions: CoreMetrics.Gauge(label: "chatone_engineio_sessions", factory: factory),
            bcryptQueueDepth: CoreMetrics.Gauge(label: "chatone_bcrypt_queue_depth", factory: factory),
            residentMemory: CoreMetrics.Gauge(label: "process_resident_memory_bytes", factory: factory),
            openFDs: CoreMetrics.Gauge(label: "process_open_fds", factory: factory),
            maxFDs: CoreMetrics.Gauge(label: "process_max_fds", factory: factory))
    }

    // MARK: HTTP

    /// Counts one request and its duration under its route template (`/api/v1/conversations/{id}`).
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let series = HTTPSeries(route: route, method: method, status: status)
        let instruments = http.withLock { cache -> HTTPInstruments in
            if let found = cache[series] { return found }
            let made = HTTPInstruments(
                requests: CoreMetrics.Counter(
                    label: "chatone_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))],
                    factory: factory),
                duration: CoreMetrics.Timer(
                    label: "chatone_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory))
            cache[series] = made
            return made
        }
        instruments.requests.increment()
        instruments.duration.record(duration: duration)
    }

    // MARK: Socket.IO

    /// Counts an event a client sent; names outside API.md's list are `unknown`.
    func eventReceived(_ name: String) {
        (eventsIn[name] ?? unknownEventIn).increment()
    }

    /// Counts an event the server emitted (once per emit, whatever the number of sockets it reaches; `count` for
    /// an emit that sends each user their own payload, as separate emits would). The names are the server's own
    /// constants.
    func eventEmitted(_ name: String, count: Int = 1) {
        let counter = eventsOut.withLock { cache -> CoreMetrics.Counter in
            if let found = cache[name] { return found }
            let made = CoreMetrics.Counter(label: "chatone_socket_events_emitted_total", dimensions: [("event", name)], factory: factory)
            cache[name] = made
            return made
        }
        counter.increment(by: count)
    }

    // MARK: Scrape

    /// What is only read at scrape time.
    struct Sample {
        var socketsConnected: Int
        var engineSessions: Int
        var bcryptQueueDepth: Int
    }

    /// The Prometheus text exposition of everything, after reading the sampled gauges.
    func exposition(_ sample: Sample) -> [UInt8] {
        sampled.socketsConnected.record(sample.socketsConnected)
        sampled.engineSessions.record(sample.engineSessions)
        sampled.bcryptQueueDepth.record(sample.bcryptQueueDepth)
        let process = ProcessStats.read()
        if let rss = process.residentBytes { sampled.residentMemory.record(rss) }
        if let fds = process.openFDs { sampled.openFDs.record(fds) }
        if let max = process.maxFDs { sampled.maxFDs.record(max) }
        return registry.emitToBuffer()
    }
}
