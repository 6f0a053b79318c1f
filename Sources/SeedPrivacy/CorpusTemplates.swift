// Sentence templates of the labelled corpus, per language, in two disjoint halves: recognizers are tuned
// on the `tuning` half only, and `seed bench desensitize` reports figures on the `evaluation` half with a
// seed never used for tuning. Slots: {EMAIL} {PHONE} {CARD} {IBAN} {SSN} {CNID} {NINO} {AADHAAR} {IPV4}
// {IPV6} {MAC} {URLCRED} {SECRET} {ASSIGN} {PERSON}; decoys {DATE} {VERSION} {PRICE} {ORDER} {TIME} {INVOICE}.

enum CorpusTemplates {
    static let tuning: [String: [String]] = [
        "en": [
            "Please contact {PERSON} at {EMAIL} or call {PHONE}.",
            "My card number is {CARD}, expiry 09/27, and the invoice {INVOICE} is still open.",
            "Transfer the {PRICE} to IBAN {IBAN} before {DATE}.",
            "The server {IPV4} rejected the login at {TIME}; the gateway is {IPV6}.",
            "Device MAC {MAC} runs firmware {VERSION}.",
            "Use {URLCRED} to connect to the staging database.",
            "Here is my key {SECRET} please don't share it.",
            "SSN {SSN}, order {ORDER}, appointment on {DATE} at {TIME}.",
            "My Aadhaar number is {AADHAAR} and my mobile is {PHONE}.",
            "NI number {NINO}; payslip total {PRICE}.",
            "config:\n{ASSIGN}\nlog_level=debug",
            "Dear {PERSON}, your order {ORDER} of {DATE} ships today.",
        ],
        "de": [
            "Bitte kontaktieren Sie {PERSON} unter {EMAIL} oder {PHONE}.",
            "Überweisen Sie {PRICE} auf das Konto {IBAN} bis zum {DATE}.",
            "Meine Kreditkarte {CARD} wurde am {DATE} um {TIME} belastet.",
            "Der Router {IPV4} hat die Firmware {VERSION} installiert.",
            "Zugang: {ASSIGN}",
            "Rechnung {INVOICE} zur Bestellung {ORDER} ist bezahlt.",
        ],
        "fr": [
            "Veuillez contacter {PERSON} au {PHONE} ou par courriel à {EMAIL}.",
            "Virement de {PRICE} sur l'IBAN {IBAN} avant le {DATE}.",
            "Ma carte bancaire {CARD} a été refusée à {TIME}.",
            "L'adresse {IPV4} utilise la version {VERSION}.",
            "Le fichier contient {ASSIGN}",
            "Facture {INVOICE}, commande {ORDER}.",
        ],
        "zh": [
            "请联系{PERSON}先生，手机号码{PHONE}，邮箱{EMAIL}。",
            "身份证号{CNID}，银行卡号{CARD}。",
            "订单号{ORDER}于{DATE}{TIME}发货，金额{PRICE}。",
            "服务器{IPV4}升级到版本{VERSION}。",
            "姓名：{PERSON}，电话：{PHONE}。",
            "配置文件里有{ASSIGN}，请删除。",
        ],
    ]

    static let evaluation: [String: [String]] = [
        "en": [
            "{PERSON} wrote from {EMAIL} asking us to ring back on {PHONE} after {TIME}.",
            "Charge {PRICE} to the card {CARD}; reference {INVOICE}.",
            "Salary goes to {IBAN} (updated {DATE}).",
            "Traffic from {IPV4} and {IPV6} spiked after the {VERSION} rollout.",
            "Lease for {MAC} expires {DATE} {TIME}.",
            "The CI log leaked {URLCRED} in a clone URL.",
            "Rotate {SECRET} immediately, it was pushed in commit {ORDER}.",
            "Applicant SSN: {SSN}. Tax year {DATE}.",
            "Aadhaar {AADHAAR} linked to {PHONE}.",
            "National Insurance: {NINO}, invoice {INVOICE}.",
            "In settings.py I have {ASSIGN} (is that safe?)",
            "Hi {PERSON}, the quote of {PRICE} (order {ORDER}) is valid until {DATE}.",
        ],
        "de": [
            "{PERSON} ist unter {PHONE} erreichbar, E-Mail {EMAIL}.",
            "IBAN: {IBAN}, Betrag {PRICE}, fällig am {DATE}.",
            "Die Karte {CARD} gehört zur Rechnung {INVOICE}.",
            "Gerät {MAC} mit Adresse {IPV6} meldet Version {VERSION}.",
            "Im Log steht {URLCRED} und der Schlüssel {SECRET}.",
            "Termin am {DATE} um {TIME}, Bestellnummer {ORDER}.",
        ],
        "fr": [
            "{PERSON} (tél. {PHONE}) a écrit depuis {EMAIL}.",
            "Coordonnées bancaires : {IBAN}, montant {PRICE}.",
            "Paiement par carte {CARD} le {DATE}, facture {INVOICE}.",
            "Le serveur {IPV6} et la passerelle {IPV4} sont en panne depuis {TIME}.",
            "Jeton trouvé : {SECRET}, et {URLCRED} dans la config.",
            "Commande {ORDER} livrée le {DATE} à {TIME}, version {VERSION}.",
        ],
        "zh": [
            "客户{PERSON}的身份证是{CNID}，联系电话{PHONE}。",
            "{PERSON}女士的邮箱是{EMAIL}，发票号{INVOICE}。",
            "请在{DATE}前向账户{IBAN}转账{PRICE}。",
            "设备{MAC}的地址是{IPV6}，时间{TIME}。",
            "密钥{SECRET}已泄露，订单{ORDER}。",
            "收件人：{PERSON}，手机{PHONE}，版本{VERSION}。",
        ],
    ]

    /// Sentences without entities: most real text is this.
    static let fillers: [String: [String]] = [
        "en": ["Thanks in advance for your help.", "Can you summarise the following message for me?", "The meeting was moved because of the holidays.",
               "Let me know if anything else is needed.", "We shipped 3 boxes and 12 pallets last week.", "Chapter 4 covers the basics of the API."],
        "de": ["Vielen Dank für Ihre Hilfe.", "Können Sie den folgenden Text zusammenfassen?", "Das Treffen wurde wegen der Feiertage verschoben.",
               "Wir haben 3 Kartons und 12 Paletten verschickt."],
        "fr": ["Merci d'avance pour votre aide.", "Pouvez-vous résumer le message suivant ?", "La réunion a été déplacée à cause des vacances.",
               "Nous avons expédié 3 cartons et 12 palettes."],
        "zh": ["提前感谢您的帮助。", "请帮我总结下面这段话。", "会议因假期推迟了。", "我们上周发出了3箱货和12个托盘。🙂"],
    ]

    static let systemPrompts = ["You are a helpful assistant.", "You are a customer-support agent. Answer briefly.",
                                "Du bist ein hilfreicher Assistent.", "Tu es un assistant serviable.", "你是一个乐于助人的助手。"]
}
