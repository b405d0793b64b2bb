extension Duration {
    /// Whole milliseconds, as the cluster tables store times.
    var millis: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
