import HTTPTypes
import NIOHTTP1

extension HTTPRequest {
    /// The upgrade request as Swift HTTP Types sees it, for `EngineIOServer.webSocketUpgrade`: method, path with its
    /// query, and every header whose name is valid (a name that is not is dropped, as NIO would refuse it anyway).
    init(webSocketUpgrade head: HTTPRequestHead) {
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers {
            guard let name = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: name, value: value))
        }
        self.init(
            method: HTTPRequest.Method(head.method.rawValue) ?? .get,
            scheme: nil,
            authority: head.headers.first(name: "host"),
            path: head.uri,
            headerFields: fields
        )
    }
}
