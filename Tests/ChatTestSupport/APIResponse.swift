import HTTPTypes

/// A response: status, headers and parsed JSON body.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var json: JSON
    public var raw: String

    public var data: JSON? { json["data"] }
    public var errorCode: String? { json["error"]?["code"]?.string }
}
