/// The keys ``JSONValueDecoder`` makes up itself: array positions and `super`.
///
/// They read as `JSONDecoder`'s do (`"Index 3"` with `intValue` 3, and `"super"`), so a coding path looks the same
/// whichever decoder produced it.
struct JSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    /// The key `superDecoder()` of a keyed container reads.
    static let superKey = JSONCodingKey(stringValue: "super")
}
