import CMariaDB

/// C memory that a prepared statement's result rows are fetched into, one `MYSQL_BIND` per column.
/// Lives only for one execution, on one thread; freed with ``deallocate()``.
final class ResultBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let columns: MariaDBColumns
    private let count: Int
    private let kinds: [ColumnKind]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>
    private var buffers: [UnsafeMutableRawPointer]
    private let capacities: [Int]

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        self.count = count
        columns = MariaDBColumns((0..<count).map { String(cString: fields[$0].name) })
        kinds = (0..<count).map { ColumnKind(fields[$0]) }
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        nulls = .allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)
        var buffers: [UnsafeMutableRawPointer] = []
        var capacities: [Int] = []
        for index in 0..<count {
            let capacity: Int
            switch kinds[index] {
            case .signed, .unsigned, .double:
                capacity = 8
                binds[index].buffer_type = kinds[index] == .double ? MYSQL_TYPE_DOUBLE : MYSQL_TYPE_LONGLONG
                binds[index].is_unsigned = kinds[index] == .unsigned ? 1 : 0
            case .text, .bytes:
                // max_length (filled by store_result) fits every value of plain strings; formatted types
                // (dates, decimals) get room for their text, and anything longer is fetched again in full.
                capacity = max(Int(fields[index].max_length), 64)
                binds[index].buffer_type = kinds[index] == .bytes ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            buffers.append(buffer)
            capacities.append(capacity)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(capacity)
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = errors + index
        }
        self.buffers = buffers
        self.capacities = capacities
    }

    /// Reads the row the last `mysql_stmt_fetch` filled in, fetching any truncated column again in full.
    func currentRow(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws -> [MariaDBData] {
        var values: [MariaDBData] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            if nulls[index] != 0 {
                values.append(.null)
                continue
            }
            let buffer = buffers[index]
            switch kinds[index] {
            case .signed:
                values.append(.integer(buffer.load(as: Int64.self)))
            case .unsigned:
                values.append(.unsignedInteger(buffer.load(as: UInt64.self)))
            case .double:
                values.append(.double(buffer.load(as: Double.self)))
            case .text, .bytes:
                let length = Int(lengths[index])
                let bytes: [UInt8]
                if length > capacities[index] {
                    bytes = try fetchWhole(statement, column: index, length: length)
                } else {
                    bytes = Array(UnsafeRawBufferPointer(start: buffer, count: length))
                }
                values.append(kinds[index] == .bytes ? .bytes(bytes) : .text(String(decoding: bytes, as: UTF8.self)))
            }
        }
        return values
    }

    private func fetchWhole(_ statement: UnsafeMutablePointer<MYSQL_STMT>, column: Int, length: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        var fetched: UInt = 0
        let status = bytes.withUnsafeMutableBytes { target -> Int32 in
            withUnsafeMutablePointer(to: &fetched) { fetchedPointer in
                var bind = MYSQL_BIND()
                bind.buffer_type = binds[column].buffer_type
                bind.buffer = target.baseAddress
                bind.buffer_length = UInt(length)
                bind.length = fetchedPointer
                return mysql_stmt_fetch_column(statement, &bind, UInt32(column), 0)
            }
        }
        guard status == 0 else { throw MariaDBConnection.error(statement, phase: .execute) }
        return Array(bytes.prefix(Int(fetched)))
    }

    func deallocate() {
        for buffer in buffers { buffer.deallocate() }
        binds.deinitialize(count: count)
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }
}
