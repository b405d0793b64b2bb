/// A registered user: what the workloads need to act as them.
struct BenchUser: Sendable {
    var id: String
    var username: String
    var token: String
}
