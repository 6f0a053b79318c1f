// Name lists for the best-effort PERSON recognizer. Kept short and common on purpose: a name is only taken
// with a second capitalised word or a title next to it, so a rare first name costs recall, never precision.

enum NameLists {
    /// Common given names in English, German and French texts.
    static let firstNames: [String] = """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony \
    Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan \
    Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander \
    Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle \
    Noah Ethan Jeremy Walter Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence \
    Jordan Jesse Bryan Billy Bruce Gabriel Joe Logan Albert Willie Alan Eugene Russell Vincent Philip Bobby \
    Johnny Bradley Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty \
    Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy \
    Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha \
    Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie Joyce \
    Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan Cheryl Jacqueline \
    Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella \
    Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla \
    Alexis Lori Marie Oliver Harry Charlie Leo Oscar Archie Freddie Alfie Lucas Mia Amelia Isla Ava Ivy \
    Freya Florence Poppy Lily Rosie Chloe Jessica Ella Sophie Evie Lucy Daisy Phoebe Imogen Ruby Millie \
    Hans Klaus Jürgen Dieter Wolfgang Uwe Horst Helmut Gerhard Werner Manfred Günter Stefan Andreas Frank \
    Matthias Markus Sven Jörg Tobias Florian Jan Lukas Leon Finn Jonas Maximilian Felix Paul Elias Ben \
    Moritz Niklas Tim Philipp Fabian Sebastian Dominik Christoph Ralf Bernd Torsten Thorsten Kai Heinz \
    Ursula Monika Petra Sabine Renate Helga Karin Brigitte Ingrid Gabriele Claudia Susanne Andrea Birgit \
    Anja Katrin Nicole Stefanie Julia Lena Leonie Lea Laura Hanna Johanna Katharina Marie Sophie Emilia \
    Greta Frieda Clara Mila Lina Paula Jana Miriam Annika Svenja Nadine Jasmin Franziska Heike Silke Ute \
    Jean Pierre Michel André Philippe Alain Jacques Bernard Christophe Patrick Nicolas Daniel Frédéric \
    Laurent Stéphane Éric Olivier Sébastien Julien Thierry David François Pascal Vincent Antoine Guillaume \
    Mathieu Maxime Thomas Romain Alexandre Hugo Louis Gabriel Raphaël Arthur Jules Adam Théo Nathan Mathis \
    Marie Nathalie Isabelle Sylvie Catherine Françoise Valérie Sandrine Christine Véronique Céline Sophie \
    Stéphanie Aurélie Camille Julie Émilie Chloé Manon Léa Inès Jade Louise Alice Lina Rose Anna Ambre \
    Juliette Margaux Pauline Élodie Mélanie Amandine Hélène Brigitte Monique Martine Chantal Mathilde Zoé
    """.split(separator: " ").map(String.init)

    /// Words that stand before a name.
    static let titles: [String] = [
        "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Herr", "Frau", "Hr", "Fr", "Mme", "Mlle", "Monsieur",
        "Madame", "Mademoiselle", "M",
    ]

    /// Capitalised words that follow a first name without being a surname.
    static let notSurnames: [String] = [
        "I", "The", "A", "An", "And", "Or", "But", "If", "In", "On", "At", "To", "Is", "Was", "Will", "Can", "May",
        "Der", "Die", "Das", "Und", "Ich", "Sie", "Er", "Es", "Le", "La", "Les", "Et", "Je", "Il", "Elle", "Mon",
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
        "March", "April", "June", "July", "August", "September", "October", "November", "December",
    ]

    /// Lower-case particles inside surnames (`van der Berg`, `de la Fontaine`, `von Weizsäcker`).
    static let particles: [String] = ["van", "von", "der", "den", "de", "du", "la", "le", "di", "da", "del", "zu"]

    /// The hundred most common Chinese surnames plus the common two-character ones.
    static let chineseSurnames: [String] = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤").map(String.init)
        + ["欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫"]

    /// Words right after a Chinese name (`张伟先生`) and right before one (`姓名：张伟`).
    static let chineseTitlesAfter: [String] = ["先生", "女士", "小姐", "老师", "经理", "医生", "同学", "教授", "总监", "律师"]
    static let chineseCuesBefore: [String] = ["姓名", "联系人", "收件人", "客户", "患者", "名字", "我叫", "申请人", "持卡人"]
}

/// FNV-1a over the lower-cased bytes: names are looked up by this 64-bit hash, which avoids building a
/// String for every capitalised word of the text.
@inline(__always) func nameHash(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<count {
        h = (h ^ UInt64(lowercased(p[i]))) &* 0x100_0000_01b3
    }
    return h
}

func nameHash(_ s: String) -> UInt64 {
    var bytes = Array(s.utf8)
    return bytes.withUnsafeMutableBufferPointer { nameHash($0.baseAddress!, $0.count) }
}

/// The name lists as hash sets, built once.
final class NameTables: @unchecked Sendable {
    let firstNames: HashSet64
    let titles: HashSet64
    let notSurnames: HashSet64
    let particles: HashSet64
    let chineseSurnames: Set<UInt32>
    let chineseCompoundSurnames: [[UInt32]]
    let chineseTitlesAfter: [[UInt32]]
    let chineseCuesBefore: [[UInt32]]
    /// One bit per CJK ideograph U+4E00...U+9FFF: set for the first character of every Chinese cue, so the
    /// scanner pays one bit test per Chinese character. A plain pointer, never freed like the hash sets':
    /// the array it was retained the tables around each test.
    let cueBitmap: UnsafePointer<UInt64>

    static let shared = NameTables()

    private init() {
        firstNames = HashSet64(NameLists.firstNames.map(nameHash))
        titles = HashSet64(NameLists.titles.map(nameHash))
        notSurnames = HashSet64(NameLists.notSurnames.map(nameHash))
        particles = HashSet64(NameLists.particles.map(nameHash))
        func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }
        chineseSurnames = Set(NameLists.chineseSurnames.filter { $0.count == 1 }.map { scalars($0)[0] })
        chineseCompoundSurnames = NameLists.chineseSurnames.filter { $0.count == 2 }.map(scalars)
        chineseTitlesAfter = NameLists.chineseTitlesAfter.map(scalars)
        chineseCuesBefore = NameLists.chineseCuesBefore.map(scalars)
        var bitmap = [UInt64](repeating: 0, count: (0xA000 - 0x4E00) / 64 + 1)
        let cueStarts = (NameLists.chineseTitlesAfter + NameLists.chineseCuesBefore + ["密码", "口令"]).map { scalars($0)[0] }
        for c in cueStarts where c >= 0x4E00 && c < 0xA000 {
            bitmap[Int(c - 0x4E00) >> 6] |= 1 << UInt64((c - 0x4E00) & 63)
        }
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: bitmap.count)
        bits.initialize(from: bitmap, count: bitmap.count)
        cueBitmap = UnsafePointer(bits)
    }

    /// Whether a Chinese cue starts with ideograph `c`, in `bitmap` (the tables' `cueBitmap`). Static, so
    /// that the scanner calls it without retaining the tables.
    @inline(__always) static func isCueStart(_ c: UInt32, in bitmap: UnsafePointer<UInt64>) -> Bool {
        guard c >= 0x4E00, c < 0xA000 else { return false }
        return bitmap[Int(c - 0x4E00) >> 6] & (1 << UInt64((c - 0x4E00) & 63)) != 0
    }
}
