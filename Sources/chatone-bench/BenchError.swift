/// Why a workload could not run or a smoke check failed.
enum BenchError: Error, CustomStringConvertible {
    case unexpected(String)
    case checkFailed(String)

    var description: String {
        switch self {
        case .unexpected(let text): "unexpected: \(text)"
        case .checkFailed(let text): "check failed: \(text)"
        }
    }
}
