/// What kind of personal data or secret a span is. Built-in types have fixed names; a policy file may add
/// its own (`EMPLOYEE_ID`). The name is what surrogates and reports show: `<EMAIL_17>`, `[CREDIT_CARD]`.
public struct EntityType: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let name: String
    /// The name's hash, computed once: a type is a table key for every detected value (see FastHash.swift).
    let code: UInt64

    public init(_ name: String) {
        self.name = name
        var contiguous = name
        code = contiguous.withUTF8 { fastHash(UnsafeRawBufferPointer($0), seed: 0) }
    }

    public static func == (a: EntityType, b: EntityType) -> Bool { a.code == b.code && a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: mix64(code ^ UInt64(UInt(bitPattern: seed)))) }

    public var description: String { name }
    public static func < (a: EntityType, b: EntityType) -> Bool { a.name < b.name }

    public static let email = EntityType("EMAIL")
    public static let phone = EntityType("PHONE")
    public static let creditCard = EntityType("CREDIT_CARD")
    public static let iban = EntityType("IBAN")
    public static let usSSN = EntityType("US_SSN")
    public static let cnID = EntityType("CN_ID")
    public static let ukNINO = EntityType("UK_NINO")
    public static let inAadhaar = EntityType("IN_AADHAAR")
    public static let ipv4 = EntityType("IPV4")
    public static let ipv6 = EntityType("IPV6")
    public static let mac = EntityType("MAC")
    public static let urlCredential = EntityType("URL_CREDENTIAL")
    public static let secret = EntityType("SECRET")
    public static let person = EntityType("PERSON")

    /// Every type the built-in recognizers produce. PERSON is best effort (name lists and context) and is
    /// measured apart from the structured types.
    public static let builtIn: [EntityType] = [
        .email, .phone, .creditCard, .iban, .usSSN, .cnID, .ukNINO, .inAadhaar, .ipv4, .ipv6, .mac,
        .urlCredential, .secret, .person,
    ]

    /// Valid type names are what a surrogate can carry: upper-case ASCII letters, digits and underscores,
    /// starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}

/// One detected span of a text, in UTF-8 byte offsets (`start..<end`).
public struct Detection: Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var type: EntityType
    /// 0...1: validated formats score about 1, context-dependent ones less; below the policy's threshold a
    /// detection is dropped.
    public var confidence: Double

    public init(start: Int, end: Int, type: EntityType, confidence: Double) {
        self.start = start
        self.end = end
        self.type = type
        self.confidence = confidence
    }

    public var length: Int { end - start }
}

/// A map from the handful of types one batch meets to a value, searched in a line by the types' hash
/// codes: for a per-entity counter this beats a dictionary, whose hashing and probing showed in profiles.
struct SmallTypeMap<Value> {
    private(set) var types: [EntityType] = []
    private(set) var values: [Value] = []

    subscript(type: EntityType, default value: @autoclosure () -> Value) -> Value {
        get { index(of: type).map { values[$0] } ?? value() }
        set {
            if let k = index(of: type) {
                values[k] = newValue
            } else {
                types.append(type)
                values.append(newValue)
            }
        }
    }

    private func index(of type: EntityType) -> Int? {
        // Codes first: a mismatch, the usual case, costs one compare and no call.
        for k in types.indices where types[k].code == type.code && types[k] == type { return k }
        return nil
    }

    mutating func removeAll() {
        types.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}
