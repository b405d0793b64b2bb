import SQLKit

/// SQL as MySQL 8 and MariaDB 10.5+ speak it: backtick identifiers, `?` placeholders, `AUTO_INCREMENT`,
/// inline `ENUM`, `ON DUPLICATE KEY UPDATE` upserts, `MODIFY COLUMN`.
public struct MariaDBDialect: SQLDialect {
    public init() {}

    public var name: String { "mysql" }
    public var identifierQuote: any SQLExpression { SQLRaw("`") }
    public var literalStringQuote: any SQLExpression { SQLRaw("'") }
    public func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("?") }
    public func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "1" : "0") }
    public var supportsAutoIncrement: Bool { true }
    public var autoIncrementClause: any SQLExpression { SQLRaw("AUTO_INCREMENT") }
    public var enumSyntax: SQLEnumSyntax { .inline }
    public var supportsIfExists: Bool { true }
    public var supportsDropBehavior: Bool { true }
    public var supportsReturning: Bool { false }
    public var upsertSyntax: SQLUpsertSyntax { .mysqlLike }
    public var triggerSyntax: SQLTriggerSyntax {
        .init(create: [.supportsBody, .conditionRequiresParentheses, .supportsOrder], drop: [])
    }
    public var alterTableSyntax: SQLAlterTableSyntax {
        .init(alterColumnDefinitionClause: SQLRaw("MODIFY COLUMN"), alterColumnDefinitionTypeKeyword: nil)
    }
    /// INTERSECT and EXCEPT (with ALL) need MariaDB 10.5 or MySQL 8.0.31.
    public var unionFeatures: SQLUnionFeatures {
        [.union, .unionAll, .intersect, .intersectAll, .except, .exceptAll, .explicitDistinct, .parenthesizedSubqueries]
    }
    public var sharedSelectLockExpression: (any SQLExpression)? { SQLRaw("LOCK IN SHARE MODE") }
    public var exclusiveSelectLockExpression: (any SQLExpression)? { SQLRaw("FOR UPDATE") }

    public func customDataType(for dataType: SQLDataType) -> (any SQLExpression)? {
        switch dataType {
        // Binary data without a length limit that matters (BLOB stops at 64 KiB).
        case .blob: SQLRaw("LONGBLOB")
        default: nil
        }
    }

    public func nestedSubpathExpression(in column: any SQLExpression, for path: [String]) -> (any SQLExpression)? {
        guard !path.isEmpty else { return nil }
        return MariaDBJSONExtract(column: column, path: path)
    }
}
