import Foundation
/// What kind of personal data or secret a span is. Built-in types have fixed names; a policy file may add
/// its own (`EMPLOYEE_ID`). The name is what surrogates and reports show: `<EMAIL_17>`, `[CREDIT_CARD]`.
public struct EntityType: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The name's hash, computed once: a type is a table key for every detected value (see FastHash.swift).
    let code: UInt64
    /// The name's place in the process's table of type names: equal names, equal ids. A type is two
    /// integers, so the detections and edits that carry one are copied without reference counting (a
    /// `String` field was retained and released with every copy, about 2 % of a desensitize profile).
    let id: UInt32

    public init(_ name: String) {
        id = EntityTypeNames.shared.intern(name)
        code = fastHash(UnsafeRawBufferPointer(EntityTypeNames.shared.utf8(id)), seed: 0)
    }

    public var name: String { String(decoding: utf8, as: UTF8.self) }
    /// The name's UTF-8 bytes, valid as long as the process runs.
    var utf8: UnsafeBufferPointer<UInt8> { EntityTypeNames.shared.utf8(id) }

    public static func == (a: EntityType, b: EntityType) -> Bool { a.id == b.id }
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

    private func index(of type: EntityType) -> Int? { types.firstIndex(of: type) }

    mutating func removeAll() {
        types.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}

/// Every entity type name the process has met, each under the id it got first. The names' bytes are written
/// once, under the lock, before their id is handed out, and never move or get freed: reading them takes no
/// lock. Names come from the built-in recognizers, policy files and vault blocks, a few dozen in practice.
final class EntityTypeNames: @unchecked Sendable {
    static let shared = EntityTypeNames()
    static let capacity = 1 << 16

    private let lock = NSLock()
    private var ids: [String: UInt32] = [:]
    private let names: UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>

    private init() {
        names = .allocate(capacity: Self.capacity)
    }

    func intern(_ name: String) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if let id = ids[name] { return id }
        precondition(ids.count < Self.capacity, "more than \(Self.capacity) entity type names")
        let id = UInt32(ids.count)
        let bytes = Array(name.utf8)
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
        copy.initialize(from: bytes, count: bytes.count)
        names[Int(id)] = UnsafeBufferPointer(start: copy, count: bytes.count)
        ids[name] = id
        return id
    }

    @inline(__always) func utf8(_ id: UInt32) -> UnsafeBufferPointer<UInt8> { names[Int(id)] }
}
