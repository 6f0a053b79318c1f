/// The vault's values by digest: an open-addressing table probed linearly from the digest's high word
/// (already uniformly random). A slot holds the whole entry, so a lookup costs one cache miss where
/// Dictionary's separate key and value arrays cost two or three; with hundreds of thousands of new values
/// a second, each looked up and inserted once, that showed in profiles. Realistic surrogates, rare, live
/// in a side array.
struct DigestTable {
    private struct Slot {
        var high: UInt64 = 0
        var low: UInt64 = 0
        /// 0 marks an empty slot (numbers start at 1).
        var number: Int32 = 0
        /// 1 + the index of the realistic surrogate in `realistics`, or 0.
        var realistic: Int32 = 0
    }

    private var slots = [Slot](repeating: Slot(), count: 1 << 12)
    private var realistics: [[UInt8]] = []
    private(set) var count = 0

    subscript(digest: VaultDigest) -> VaultIndex.Stored? {
        slots.withUnsafeBufferPointer { s in
            let mask = s.count - 1
            var i = Int(truncatingIfNeeded: digest.high) & mask
            while s[i].number != 0 {
                if s[i].high == digest.high && s[i].low == digest.low {
                    return VaultIndex.Stored(number: Int(s[i].number), realistic: s[i].realistic > 0 ? realistics[Int(s[i].realistic) - 1] : nil)
                }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Stores `value` for `digest`; a value without a realistic surrogate keeps the one already stored.
    mutating func set(_ value: VaultIndex.Stored, for digest: VaultDigest) {
        if (count + 1) * 2 > slots.count { grow() }
        var realistic: Int32 = 0
        if let r = value.realistic {
            realistics.append(r)
            realistic = Int32(realistics.count)
        }
        let mask = slots.count - 1
        slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: digest.high) & mask
            while s[i].number != 0 {
                if s[i].high == digest.high && s[i].low == digest.low {
                    s[i].number = Int32(value.number)
                    if realistic > 0 { s[i].realistic = realistic }
                    return
                }
                i = (i + 1) & mask
            }
            s[i] = Slot(high: digest.high, low: digest.low, number: Int32(value.number), realistic: realistic)
            count += 1
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        let mask = slots.count - 1
        slots.withUnsafeMutableBufferPointer { s in
            for slot in old where slot.number != 0 {
                var i = Int(truncatingIfNeeded: slot.high) & mask
                while s[i].number != 0 { i = (i + 1) & mask }
                s[i] = slot
            }
        }
    }
}
