/// Formats a `Double` as Python's `repr(float)` does, so validation messages read exactly
/// as torch's f-strings print them: `-1.0`, `1e-08`, `0.001`, `1e+16`, `inf`, `nan`.
///
/// Both languages print the shortest digits that round-trip; they differ only in where
/// they switch to exponent notation. Python uses it when the decimal exponent is below
/// -4 or at least 16.
public func pythonRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description has the same shortest digits; pull out sign, digits and exponent.
    let text = "\(value.magnitude)"
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0])
    let fractionPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fractionPart
    var pointPosition = integerPart.count + exponent  // the decimal point sits after this many digits
    // Normalize: strip leading zeros (moving the point) and trailing zeros.
    while digits.first == "0", digits.count > 1 {
        digits.removeFirst()
        pointPosition -= 1
    }
    while digits.last == "0", digits.count > 1 { digits.removeLast() }
    let decimalExponent = pointPosition - 1
    let sign = value < 0 ? "-" : ""
    if decimalExponent < -4 || decimalExponent >= 16 {
        let head = digits.prefix(1)
        let tail = digits.dropFirst()
        let exponentText = (decimalExponent < 0 ? "-" : "+") + (abs(decimalExponent) < 10 ? "0" : "") + "\(abs(decimalExponent))"
        return sign + head + (tail.isEmpty ? "" : "." + tail) + "e" + exponentText
    }
    if pointPosition <= 0 {
        return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
    }
    if pointPosition >= digits.count {
        return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
    }
    let index = digits.index(digits.startIndex, offsetBy: pointPosition)
    return sign + digits[..<index] + "." + digits[index...]
}

/// Python's `repr` of a string: single quotes, or double quotes when the string holds a
/// single quote and no double quote; backslashes and the chosen quote escaped.
public func pythonRepr(_ value: String) -> String {
    let quote: Character = value.contains("'") && !value.contains("\"") ? "\"" : "'"
    var escaped = ""
    for character in value {
        if character == "\\" || character == quote { escaped.append("\\") }
        escaped.append(character)
    }
    return "\(quote)\(escaped)\(quote)"
}
