import CMariaDB

/// C memory for a statement's bound parameters: a `MYSQL_BIND` per value and the bytes it points at.
/// Lives only for one execution, on one thread; freed with ``deallocate()``.
struct ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let lengths: UnsafeMutablePointer<UInt>
    private var storage: [UnsafeMutableRawPointer] = []
    private let count: Int

    init(_ values: [MariaDBData]) {
        count = values.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        lengths = .allocate(capacity: max(count, 1))
        lengths.initialize(repeating: 0, count: max(count, 1))
        for (index, value) in values.enumerated() {
            switch value {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let number):
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = store(number)
            case .unsignedInteger(let number):
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].is_unsigned = 1
                binds[index].buffer = store(number)
            case .double(let number):
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = store(number)
            case .text(let text):
                binds[index].buffer_type = MYSQL_TYPE_STRING
                setBytes(Array(text.utf8), at: index)
            case .bytes(let bytes):
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                setBytes(bytes, at: index)
            }
        }
    }

    private mutating func store<T>(_ value: T) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        pointer.storeBytes(of: value, as: T.self)
        storage.append(pointer)
        return pointer
    }

    private mutating func setBytes(_ bytes: [UInt8], at index: Int) {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { pointer.copyMemory(from: base, byteCount: bytes.count) }
        }
        storage.append(pointer)
        lengths[index] = UInt(bytes.count)
        binds[index].buffer = pointer
        binds[index].buffer_length = UInt(bytes.count)
        binds[index].length = lengths + index
    }

    func deallocate() {
        for pointer in storage { pointer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
        lengths.deallocate()
    }
}
