import Foundation
import LockstepDiagnosis
import LockstepFormat
import LockstepHarness
import LockstepJSON

/// The HTML report of `verify check --report FILE`: one self-contained page (inline CSS
/// and SVG, no script, no font or image from elsewhere) that a person reads in a browser.
///
/// Per fixture: the verdict and the settings it was judged with, the hyperparameters and
/// where the numbers came from, per compared tensor its largest errors and their course
/// over the steps, and for a failure the elements around the first divergence and what
/// `verify explain` makes of it. Every string that comes from a fixture is escaped.
enum HTMLReport {
    /// The page for `runs`, in their order.
    static func render(_ runs: [FixtureRun], title: String = "Lockstep verification report") -> String {
        let outcome = Outcome(runs)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(css)</style>
            </head>
            <body>
            <header class="page">
            <h1>\(escape(title))</h1>
            <p class="totals">\(badge(outcome.passedCount > 0 ? .pass : .neutral, "\(outcome.passedCount) passed"))\
             \(badge(outcome.failedCount > 0 ? .fail : .neutral, "\(outcome.failedCount) failed"))\
             \(outcome.errors.isEmpty ? "" : badge(.invalid, "\(outcome.errors.count) invalid"))\
             <span class="muted">of \(runs.count) fixture\(runs.count == 1 ? "" : "s")</span></p>
            </header>

            """
        if runs.count > 1 { html += index(runs) }
        for (number, run) in runs.enumerated() { html += section(run, number: number) }
        html += """
            <footer class="muted">Written by Lockstep's <code>verify check --report</code>. \
            ULP: units in the last place of the expected value's dtype. Plots are per-step maxima over the tensor's elements, \
            on a log scale with 0 at the bottom.</footer>
            </body>
            </html>

            """
        return html
    }

    // MARK: Parts of the page

    /// The table of every fixture, linking to its section.
    private static func index(_ runs: [FixtureRun]) -> String {
        var rows = ""
        for (position, run) in runs.enumerated() {
            let link = "<a href=\"#fixture-\(position)\">\(escape(run.path))</a>"
            switch run.verdict {
            case .result(let result):
                rows += "<tr><td>\(verdictBadge(result))</td><td class=\"path\">\(link)</td>"
                    + "<td>\(escape(result.optimizer))</td><td>\(escape(result.dtype))</td><td>\(escape(torchPath(result)))</td>"
                    + "<td class=\"num\">\(result.steps)</td><td class=\"num\">\(ulps(result.maxULPError))</td>"
                    + "<td class=\"num\">\(number(result.maxRelativeError))</td></tr>\n"
            case .invalid(let message):
                rows += "<tr><td>\(badge(.invalid, "INVALID"))</td><td class=\"path\">\(link)</td>"
                    + "<td colspan=\"6\" class=\"error-text\">\(escape(message))</td></tr>\n"
            }
        }
        return """
            <section class="card">
            <h2>Fixtures</h2>
            <table class="index">
            <thead><tr><th>verdict</th><th>fixture</th><th>optimizer</th><th>dtype</th><th>torch path</th>\
            <th class="num">steps</th><th class="num">max ULP</th><th class="num">max rel. error</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </section>

            """
    }

    /// One fixture's section.
    private static func section(_ run: FixtureRun, number: Int) -> String {
        var html = "<section class=\"card fixture\" id=\"fixture-\(number)\">\n"
        switch run.verdict {
        case .result(let result):
            html += "<h2>\(verdictBadge(result)) <span class=\"path\">\(escape(run.path))</span></h2>\n"
            html += facts(result, header: run.details?.header)
            if let failure = result.firstFailureDescription {
                html += "<p class=\"failure-line\">\(escape(failure))</p>\n"
            }
            html += tensors(result)
            if result.firstFailure != nil {
                html += divergence(result, run.details)
                html += explanation(run.details)
            }
        case .invalid(let message):
            html += "<h2>\(badge(.invalid, "INVALID")) <span class=\"path\">\(escape(run.path))</span></h2>\n"
            html += "<pre class=\"error-text\">\(escape(message))</pre>\n"
            if let header = run.details?.header { html += facts(nil, header: header) }
        }
        if let header = run.details?.header { html += settings(header) }
        return html + "</section>\n"
    }

    /// The verdict's settings: optimizer, dtype, path, steps, mode, tolerance, and the case.
    private static func facts(_ result: VerificationResult?, header: FixtureHeader?) -> String {
        var items: [(String, String)] = []
        if let result {
            items += [
                ("optimizer", result.optimizer), ("dtype", result.dtype), ("implementation", result.implementation ?? "—"),
                ("CPU capability", result.cpuCapability ?? "—"), ("tensor sqrt", result.tensorSqrt ?? "—"),
                ("steps", "\(result.steps)"), ("mode", result.mode.rawValue), ("tolerance", "\(result.tolerance)"),
            ]
            if let note = result.sqrtNote { items.append(("sqrt note", note)) }
        } else if let header {
            items += [
                ("optimizer", header.optimizer), ("dtype", header.dtype.rawValue),
                ("implementation", header.reference.implementation ?? "—"),
                ("CPU capability", header.reference.cpuCapability ?? "—"), ("steps", "\(header.steps)"),
            ]
        }
        if let header {
            items.append(("gradients", header.mode == .closure ? "closure" : "recorded"))
            if let name = header.caseName { items.append(("case", name)) }
            if let seed = header.seed { items.append(("seed", "\(seed)")) }
        }
        var html = "<dl class=\"facts\">"
        for (name, value) in items {
            html += "<div><dt>\(escape(name))</dt><dd>\(escape(value))</dd></div>"
        }
        html += "</dl>\n"
        if let description = header?.description { html += "<p class=\"description\">\(escape(description))</p>\n" }
        return html
    }

    /// The hyperparameters (one column per param group) and the provenance.
    private static func settings(_ header: FixtureHeader) -> String {
        let keys = Set(header.paramGroups.flatMap(\.hyperparameters.keys)).sorted()
        var html = "<div class=\"settings\"><div><h3>Hyperparameters</h3>\n<table class=\"kv\"><thead><tr><th></th>"
        for (index, group) in header.paramGroups.enumerated() {
            let added = group.addedAtStep == 1 ? "" : " <span class=\"muted\">(joins at step \(group.addedAtStep))</span>"
            html += "<th>group \(index)\(added)<div class=\"muted small\">\(escape(group.params.joined(separator: ", ")))</div></th>"
        }
        html += "</tr></thead><tbody>\n"
        for key in keys {
            html += "<tr><th>\(escape(key))</th>"
            for group in header.paramGroups {
                html += "<td><code>\(escape(group.hyperparameters[key]?.jsonText ?? "—"))</code></td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody></table></div>\n<div><h3>Provenance</h3>\n<table class=\"kv\"><tbody>\n"
        for key in header.reference.json.keys.sorted() {
            let value = header.reference.json[key]!
            html += "<tr><th>\(escape(key))</th><td><code>\(escape(value.stringValue ?? value.jsonText))</code></td></tr>\n"
        }
        html += "<tr><th>format version</th><td><code>\(header.formatVersion)</code></td></tr>\n"
        if let scheduler = header.scheduler {
            html += "<tr><th>scheduler</th><td><code>\(escape(JSONValue.object(scheduler).jsonText))</code></td></tr>\n"
        }
        if let tolerance = header.tolerance {
            let parts = [tolerance.rtol.map { "rtol \($0)" }, tolerance.atol.map { "atol \($0)" }, tolerance.maxULP.map { "max_ulp \($0)" }]
            html += "<tr><th>recommended tolerance</th><td><code>\(escape(parts.compactMap { $0 }.joined(separator: ", ")))</code></td></tr>\n"
        }
        return html + "</tbody></table></div></div>\n"
    }

    /// Per compared tensor: the largest errors and their course over the steps.
    private static func tensors(_ result: VerificationResult) -> String {
        let failureStep = result.firstFailure?.step
        var html = """
            <table class="tensors">
            <thead><tr><th>tensor</th><th class="num">max abs. error</th><th class="num">max rel. error</th>\
            <th class="num">max ULP</th><th class="num">failed elements</th><th>max ULP by step</th><th>max rel. error by step</th></tr></thead>
            <tbody>

            """
        for tensor in result.tensors {
            let failed = tensor.passed
                ? "<span class=\"muted\">0 of \(tensor.comparedElements)</span>"
                : "<span class=\"bad\">\(tensor.failedElements) of \(tensor.comparedElements)</span>"
            html += "<tr\(tensor.passed ? "" : " class=\"failed\"")><td class=\"path\">\(escape(tensor.tensor))</td>"
                + "<td class=\"num\">\(number(tensor.maxAbsoluteError))</td><td class=\"num\">\(number(tensor.maxRelativeError))</td>"
                + "<td class=\"num\">\(ulps(tensor.maxULPError))</td><td class=\"num\">\(failed)</td>"
            if tensor.steps.allSatisfy(\.isExact) {
                html += "<td colspan=\"2\" class=\"muted exact\">bit for bit at every step</td>"
            } else {
                let ulpSeries = tensor.steps.map { (step: $0.step, value: $0.isExact ? 0 : $0.maxULPError.map { Double($0) }) }
                let relativeSeries = tensor.steps.map { (step: $0.step, value: Optional($0.maxRelativeError)) }
                html += "<td>\(plot(ulpSeries, steps: result.steps, scale: .ulp, mark: failureStep))</td>"
                html += "<td>\(plot(relativeSeries, steps: result.steps, scale: .relative, mark: failureStep))</td>"
            }
            html += "</tr>\n"
        }
        html += "</tbody></table>\n"
        if let failureStep {
            html += "<p class=\"caption\">The dashed red line marks step \(failureStep), the first failure.</p>\n"
        }
        return html
    }

    /// The elements around the first failure at its step.
    private static func divergence(_ result: VerificationResult, _ details: ReportDetails?) -> String {
        var html = "<h3>First divergence</h3>\n"
        guard let neighbourhood = details?.neighbourhood else {
            if let note = details?.neighbourhoodNote { html += "<p class=\"muted\">\(escape(note))</p>\n" }
            return html
        }
        html += "<p>\(escape(neighbourhood.tensor)) after step \(neighbourhood.step), elements \(neighbourhood.elements.first?.index ?? 0)"
            + "–\(neighbourhood.elements.last?.index ?? 0) around element \(neighbourhood.index):</p>\n"
        html += """
            <table class="neighbourhood">
            <thead><tr><th class="num">element</th><th>index</th><th class="num">expected (torch)</th><th class="num">actual (Swift)</th>\
            <th class="num">actual − expected</th><th class="num">ULP</th><th>within tolerance</th></tr></thead>
            <tbody>

            """
        for element in neighbourhood.elements {
            let classes = [element.index == neighbourhood.index ? "first" : nil, element.passes ? nil : "failed"].compactMap { $0 }
            html += "<tr\(classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\"")>"
                + "<td class=\"num\">\(element.index)</td><td><code>\(element.multiIndex)</code></td>"
                + "<td class=\"num\">\(escape(value(element.expected, neighbourhood.dtype)))</td>"
                + "<td class=\"num\">\(escape(value(element.actual, neighbourhood.dtype)))</td>"
                + "<td class=\"num\">\(signed(element.actual - element.expected))</td>"
                + "<td class=\"num\">\(ulps(element.ulps))</td>"
                + "<td>\(element.passes ? "<span class=\"good\">yes</span>" : "<span class=\"bad\">no</span>")</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    /// What `verify explain` made of a failing fixture.
    static func explanation(_ details: ReportDetails?) -> String {
        var html = "<h3>Explanation</h3>\n"
        guard let explanation = details?.explanation else {
            if let note = details?.explanationNote { html += "<p class=\"muted\">\(escape(note))</p>\n" }
            return html
        }
        let reproducing = explanation.reproducing
        let tone: Tone = switch explanation.verdict {
        case .matchesReference, .reproducedExactly, .reproducedWithinTolerance: .pass
        case .unexplained: .fail
        }
        var verdict = explanation.verdict.rawValue
        if explanation.verdict == .reproducedExactly || explanation.verdict == .reproducedWithinTolerance, !reproducing.isEmpty {
            verdict += " by " + reproducing.map(\.id).joined(separator: ", ")
        }
        html += "<p class=\"explain-verdict\">\(badge(tone, escape(verdict)))"
        if explanation.optimizer != explanation.recordedOptimizer {
            html += " <span class=\"muted\">replayed as \(escape(explanation.optimizer)), recorded as \(escape(explanation.recordedOptimizer))</span>"
        }
        html += "</p>\n"
        for candidate in reproducing.prefix(3) {
            html += "<p class=\"reproducing\"><strong>\(escape(candidate.title))</strong>: \(escape(candidate.summary))"
                + (candidate.source.map { " <span class=\"muted\">(\(escape($0)))</span>" } ?? "") + "</p>\n"
        }
        if let signature = explanation.reference.signature {
            html += "<p>The optimizer itself: <span class=\"signature\">\(escape(signature.description))</span></p>\n"
        }
        let shown = 12
        html += candidateTable(Array(explanation.candidates.prefix(shown)), from: 1)
        if explanation.candidates.count > shown {
            html += "<details><summary>\(explanation.candidates.count - shown) more entries</summary>\n"
                + candidateTable(Array(explanation.candidates.dropFirst(shown)), from: shown + 1) + "</details>\n"
        }
        return html
    }

    private static func candidateTable(_ candidates: [Explanation.Candidate], from first: Int) -> String {
        var html = """
            <table class="candidates">
            <thead><tr><th class="num">#</th><th>entry</th><th>kind</th><th>exact</th><th>within tolerance</th>\
            <th class="num">max ULP</th><th class="num">max rel. error</th><th>error's course</th><th>first failure</th></tr></thead>
            <tbody>

            """
        for (offset, candidate) in candidates.enumerated() {
            let row = candidate.exact ? " class=\"exact-match\"" : candidate.passed ? " class=\"match\"" : ""
            html += "<tr\(row)><td class=\"num\">\(first + offset)</td>"
                + "<td><code>\(escape(candidate.id))</code><div class=\"small\">\(escape(candidate.title))</div></td>"
                + "<td>\(escape(candidate.kind.rawValue))</td>"
                + "<td>\(candidate.exact ? "<span class=\"good\">yes</span>" : "no")</td>"
                + "<td>\(candidate.passed ? "<span class=\"good\">yes</span>" : "no")</td>"
            if let error = candidate.error {
                html += "<td colspan=\"4\" class=\"muted small\">not replayed: \(escape(error))</td></tr>\n"
                continue
            }
            html += "<td class=\"num\">\(ulps(candidate.maxULPError))</td>"
                + "<td class=\"num\">\(candidate.maxRelativeError.map(number) ?? "—")</td>"
                + "<td class=\"small\">\(escape(candidate.signature?.kind.rawValue ?? "—"))</td>"
                + "<td class=\"small\">\(escape(candidate.firstFailure.map(shortFailure) ?? "—"))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    /// `verify`'s first-failure line without its `first failure: ` prefix.
    private static func shortFailure(_ line: String) -> String {
        line.hasPrefix("first failure: ") ? String(line.dropFirst("first failure: ".count)) : line
    }

    // MARK: Plots

    enum Scale { case ulp, relative }

    static let plotWidth = 210.0
    static let plotHeight = 60.0

    /// A line plot of per-step maxima on a log scale, 0 at the bottom; a `nil` value (NaN
    /// against a number) or an infinite one is drawn at the top in red. `mark` draws a
    /// dashed line at a step (the first failure).
    static func plot(_ series: [(step: Int, value: Double?)], steps: Int, scale: Scale, mark: Int?) -> String {
        let (left, right, top, bottom) = (40.0, 6.0, 5.0, 14.0)
        let (width, height) = (plotWidth - left - right, plotHeight - top - bottom)
        let points = downsample(series, to: Int(width))
        let finite = points.compactMap(\.value).filter { $0.isFinite && $0 > 0 }
        // Decades from `low` (just above 0) to `high`; 0 sits one band below `low`.
        let low = scale == .ulp ? 0 : (finite.min().map { floor(log10($0)) } ?? 0)
        var high = finite.max().map { ceil(log10($0)) } ?? low + 1
        if high <= low { high = low + 1 }
        let bands = high - low + 1
        func y(_ value: Double?) -> Double {
            guard let value, value.isFinite else { return top }
            let position = value <= 0 ? 0 : (log10(value) - low + 1) / bands
            return top + height * (1 - min(1, max(0, position)))
        }
        let lastStep = Double(max(steps, series.last?.step ?? 1))
        func x(_ step: Int) -> Double {
            lastStep <= 1 ? left + width / 2 : left + width * (Double(step) - 1) / (lastStep - 1)
        }
        var svg = "<svg class=\"plot\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
            + "viewBox=\"0 0 \(f(plotWidth)) \(f(plotHeight))\" role=\"img\">"
        svg += "<title>\(scale == .ulp ? "max ULP" : "max relative error") by step\(summary(series))</title>"
        // Grid: 0, then decades (at most five labelled).
        let every = max(1, Int(ceil(bands / 4)))
        svg += gridLine(y: top + height, left: left, width: width, label: "0")
        var decade = low
        while decade <= high {
            let level = y(pow(10, decade))
            let labelled = Int(decade - low) % every == 0 || decade == high
            svg += gridLine(y: level, left: left, width: width, label: labelled ? decadeLabel(decade, scale) : nil)
            decade += 1
        }
        // The x axis: first and last step.
        let firstStep = series.first?.step ?? 1
        svg += "<text x=\"\(f(x(firstStep)))\" y=\"\(f(plotHeight - 2))\" class=\"axis\" text-anchor=\"start\">\(firstStep)</text>"
        svg += "<text x=\"\(f(left + width))\" y=\"\(f(plotHeight - 2))\" class=\"axis\" text-anchor=\"end\">step \(Int(lastStep))</text>"
        if let mark {
            svg += "<line x1=\"\(f(x(mark)))\" x2=\"\(f(x(mark)))\" y1=\"\(f(top))\" y2=\"\(f(top + height))\" class=\"mark\"/>"
        }
        let line = points.map { "\(f(x($0.step))),\(f(y($0.value)))" }.joined(separator: " ")
        if points.count == 1 {
            svg += "<circle cx=\"\(f(x(points[0].step)))\" cy=\"\(f(y(points[0].value)))\" r=\"2.5\" class=\"dot\"/>"
        } else {
            svg += "<polyline points=\"\(line)\" class=\"series\"/>"
        }
        for point in points where point.value.map({ !$0.isFinite }) ?? true {
            svg += "<circle cx=\"\(f(x(point.step)))\" cy=\"\(f(top))\" r=\"2.5\" class=\"nan\"/>"
        }
        return svg + "</svg>"
    }

    /// At most `count` points: the largest value of each run of steps (NaN counts as largest).
    private static func downsample(_ series: [(step: Int, value: Double?)], to count: Int) -> [(step: Int, value: Double?)] {
        guard series.count > count, count > 0 else { return series }
        let size = (series.count + count - 1) / count
        return stride(from: 0, to: series.count, by: size).map { start in
            let chunk = series[start..<min(start + size, series.count)]
            return chunk.max { a, b in
                guard let av = a.value else { return false }
                guard let bv = b.value else { return true }
                return av < bv
            }!
        }
    }

    private static func gridLine(y: Double, left: Double, width: Double, label: String?) -> String {
        var svg = "<line x1=\"\(f(left))\" x2=\"\(f(left + width))\" y1=\"\(f(y))\" y2=\"\(f(y))\" class=\"grid\"/>"
        if let label { svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 3))\" class=\"axis\" text-anchor=\"end\">\(label)</text>" }
        return svg
    }

    private static func decadeLabel(_ decade: Double, _ scale: Scale) -> String {
        let exponent = Int(decade)
        if scale == .ulp {
            switch exponent {
            case ..<4: return "\(Int(pow(10, decade)))"
            case 4..<6: return "\(Int(pow(10, decade - 3)))k"
            case 6..<9: return "\(Int(pow(10, decade - 6)))M"
            default: return "1e\(exponent)"
            }
        }
        return "1e\(exponent)"
    }

    /// `: largest 128 at step 4` for a plot's tooltip.
    private static func summary(_ series: [(step: Int, value: Double?)]) -> String {
        if let nan = series.first(where: { $0.value == nil }) { return ": NaN against a number at step \(nan.step)" }
        guard let worst = series.max(by: { ($0.value ?? 0) < ($1.value ?? 0) }), let value = worst.value, value > 0 else { return "" }
        return ": largest \(value >= 1 && value < 0x1p63 && value == value.rounded() ? "\(Int(value))" : number(value)) at step \(worst.step)"
    }

    /// A coordinate with one decimal.
    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    // MARK: Text

    enum Tone { case pass, fail, invalid, neutral }

    private static func badge(_ tone: Tone, _ text: String) -> String {
        let name = switch tone {
        case .pass: "pass"
        case .fail: "fail"
        case .invalid: "invalid"
        case .neutral: "neutral"
        }
        return "<span class=\"badge \(name)\">\(text)</span>"
    }

    private static func verdictBadge(_ result: VerificationResult) -> String {
        result.passed
            ? badge(.pass, "PASS") + (result.isExact ? " " + badge(.neutral, "bit-exact") : "")
            : badge(.fail, "FAIL")
    }

    private static func torchPath(_ result: VerificationResult) -> String {
        [result.implementation, result.cpuCapability].compactMap { $0 }.joined(separator: " ")
    }

    private static func number(_ value: Double) -> String {
        value == 0 ? "0" : value.isNaN ? "NaN" : value.isInfinite ? "∞" : String(format: "%.3e", value)
    }

    private static func signed(_ value: Double) -> String {
        value == 0 ? "0" : value.isNaN ? "NaN" : String(format: "%+.3e", value)
    }

    private static func ulps(_ value: UInt64?) -> String { value.map { "\($0)" } ?? "NaN" }

    /// A value in its dtype's shortest round-trip form.
    private static func value(_ value: Double, _ dtype: String) -> String {
        dtype == "float32" ? "\(Float(value))" : "\(value)"
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in text and in
    /// quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    // MARK: Style

    private static let css = """
        :root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
          --good: #1a7f37; --good-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
          --accent: #0969da; }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 24px 28px 40px; background: var(--bg); color: var(--fg);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
        code, pre, .path, .num, .signature { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px; }
        h1 { font-size: 22px; margin: 0 0 6px; }
        h2 { font-size: 16px; margin: 0 0 12px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
        h2 .path { font-size: 14px; font-weight: 600; word-break: break-all; }
        h3 { font-size: 14px; margin: 18px 0 8px; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        .page { margin-bottom: 16px; }
        .totals { margin: 0; display: flex; gap: 8px; align-items: center; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin: 0 0 16px; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; letter-spacing: .02em; white-space: nowrap; }
        .badge.pass { color: var(--good); background: var(--good-bg); border: 1px solid #aceebb; }
        .badge.fail { color: var(--bad); background: var(--bad-bg); border: 1px solid #ffcecb; }
        .badge.invalid { color: var(--warn); background: var(--warn-bg); border: 1px solid #f5e0a0; }
        .badge.neutral { color: var(--muted); background: var(--bg); border: 1px solid var(--line); font-weight: 500; }
        .muted { color: var(--muted); }
        .small { font-size: 12px; }
        .good { color: var(--good); font-weight: 600; }
        .bad { color: var(--bad); font-weight: 600; }
        .error-text { color: var(--bad); white-space: pre-wrap; word-break: break-word; }
        pre.error-text { background: var(--bad-bg); padding: 8px 10px; border-radius: 6px; margin: 0 0 12px; }
        .facts { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0 0 10px; }
        .facts div { display: flex; flex-direction: column; }
        .facts dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; }
        .facts dd { margin: 0; font-weight: 600; }
        .description { margin: 0 0 10px; color: var(--muted); }
        .failure-line { background: var(--bad-bg); color: var(--bad); padding: 6px 10px; border-radius: 6px;
          font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-word; }
        table { border-collapse: collapse; width: 100%; margin: 4px 0 6px; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
        thead th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid #b7c0c9; white-space: nowrap; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        td.path { word-break: break-all; }
        tr.failed td { background: #fff5f4; }
        td.exact { font-style: italic; }
        .tensors td.path { white-space: nowrap; word-break: normal; }
        .tensors td:nth-child(n+6) { padding: 2px 6px; width: 222px; }
        .caption { font-size: 12px; color: var(--muted); margin: 2px 0 0; }
        .neighbourhood { width: auto; }
        .neighbourhood tr.first td { background: var(--bad-bg); font-weight: 700; }
        .neighbourhood td { padding: 3px 12px; }
        .settings { display: grid; grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr); gap: 18px; }
        .settings h3 { margin-top: 14px; }
        table.kv th { font-weight: 600; white-space: nowrap; }
        table.kv tbody th, table.kv thead th:first-child { width: 1%; padding-right: 18px; }
        table.kv thead th { vertical-align: bottom; }
        table.kv code { word-break: break-word; }
        .candidates td { font-size: 12.5px; }
        .candidates tr.exact-match td { background: var(--good-bg); }
        .candidates tr.match td { background: #f0fff4; }
        .explain-verdict { font-size: 14px; }
        .explain-verdict .badge { font-size: 13px; padding: 2px 10px; }
        .signature { background: var(--bg); padding: 1px 6px; border-radius: 4px; }
        details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
        svg.plot { display: block; }
        svg.plot .grid { stroke: #e6eaef; stroke-width: 1; }
        svg.plot .axis { fill: var(--muted); font: 9.5px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
        svg.plot .series { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-linejoin: round; }
        svg.plot .dot { fill: var(--accent); }
        svg.plot .nan { fill: var(--bad); }
        svg.plot .mark { stroke: var(--bad); stroke-width: 1; stroke-dasharray: 3 2; }
        footer { font-size: 12px; margin-top: 20px; }
        """
}
