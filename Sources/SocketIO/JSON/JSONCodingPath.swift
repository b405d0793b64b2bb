/// Where a value sits in the tree being decoded, as a list linked from the innermost key outwards.
///
/// Descending into a member costs one small node instead of copying an array of keys; the array that `Decoder`
/// and `DecodingError` want is built only when asked for (an error, or a type reading `codingPath`).
enum JSONCodingPath {
    case root
    indirect case key(any CodingKey, parent: JSONCodingPath)

    /// This path with `key` appended; the path itself when `key` is `nil`.
    func appending(_ key: (any CodingKey)?) -> JSONCodingPath {
        guard let key else { return self }
        return .key(key, parent: self)
    }

    /// The keys from the root inwards.
    var keys: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = self
        while case .key(let key, let parent) = node {
            keys.append(key)
            node = parent
        }
        return keys.reversed()
    }

    /// The keys from the root inwards, then `key`.
    func keys(appending key: (any CodingKey)?) -> [any CodingKey] {
        appending(key).keys
    }
}
