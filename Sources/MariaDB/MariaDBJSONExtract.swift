import SQLKit

/// `JSON_EXTRACT(column, '$."a"."b"')`, each key quoted so any key text is safe inside the path.
struct MariaDBJSONExtract: SQLExpression {
    let column: any SQLExpression
    let path: [String]

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("JSON_EXTRACT(")
        column.serialize(to: &serializer)
        serializer.write(", ")
        let keys = path.map { key in
            "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        SQLLiteral.string("$." + keys.joined(separator: ".")).serialize(to: &serializer)
        serializer.write(")")
    }
}
