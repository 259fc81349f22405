// The dashboard in a real browser (issue 6 §1): a learner with its HTTP/1.1 status listener
// (browsers do not speak h2c) and a worker; headless Chromium loads `GET /`, runs its script
// against the live learner, and the rendered DOM must hold populated charts, the worker's
// row, accept counts, the calibration of held-out sampled completions and the configuration;
// `tributary status` prints that calibration too. The screenshot is kept as a test artifact in
// `.build/artifacts/dashboard.png`.

import Foundation
import XCTest

final class DashboardTests: XCTestCase {
    let chromium = "/usr/bin/chromium"

    func testDashboardRendersLiveChartsAndTablesInChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            return XCTFail("chromium is missing: `make deps` installs Debian's chromium package")
        }
        let dir = Binary.tempDir(self)
        let pre = dir.appendingPathComponent("pre").path
        XCTAssertEqual(try Binary.run(["pretrain", "--task", "reverse:digits=4", "--out", pre, "--target-accuracy", "0.3"]).status, 0)
        let port = Processes.freePort(), statusPort = Processes.freePort()
        let learner = try Processes.spawn(["learner", "--state-dir", dir.appendingPathComponent("state").path, "--init", pre,
                                           "--listen", "127.0.0.1:\(port)", "--listen-status", "127.0.0.1:\(statusPort)",
                                           "--worker-token", "tk", "--task", "reverse:digits=4", "--steps", "100000"],
                                          env: ["TRIBUTARY_TRAINING_EVAL_EVERY": "2", "TRIBUTARY_TRAINING_TARGET": "2",
                                                "TRIBUTARY_TRAINING_GROUPS_PER_STEP": "4",
                                                // Batches of 4 groups can lose 15+ points of held-out accuracy in 100
                                                // steps (a collapse): keep serving the page regardless.
                                                "TRIBUTARY_TRAINING_STOP_ON_COLLAPSE": "false",
                                                // reverse:digits=4 is solved within seconds; a learner whose every group
                                                // then scores alike stops after 50 such batches (LearningHealth). The page
                                                // must stay up for both browser loads.
                                                "TRIBUTARY_TRAINING_NO_SIGNAL_BATCHES": "0",
                                                // At τ = 1 this warm start's held-out samples (all 5 tokens
                                                // right) are almost never correct: no AUC to show. At 0.5
                                                // they are right about as often as greedy decoding is.
                                                "TRIBUTARY_ROLLOUT_TEMPERATURE": "0.5"])
        defer { if learner.isRunning { learner.terminate(); learner.waitUntilExit() } }
        let worker = try Processes.spawn(["worker", "--learner", "http://127.0.0.1:\(port)", "--token", "tk", "--name", "dash-worker"])
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        _ = try Processes.waitFor(port, "a few steps with evaluations") { (($0["step"] as? Int) ?? 0) >= 8 && $0["evalSampledAUC"] != nil }
        // `tributary status` shows the calibration of the held-out sampled completions (issue 16).
        let text = try Binary.run(["status", "--learner", "http://127.0.0.1:\(port)"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertFalse(matches(#"sampled \d+\.\d% \(calibration AUC \d\.\d{3}, ECE \d\.\d{3}\)"#, in: text.stdout).isEmpty, text.stdout)

        let url = "http://127.0.0.1:\(statusPort)/"
        let browser = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000", "--window-size=1400,1500"]
        let dom = try Binary.runProgram(chromium, browser + ["--dump-dom", url])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        let html = dom.stdout
        // Charts: every line chart drew series with more than one point; the histogram drew bars.
        let counts = matches(#"class="series" data-points="(\d+)""#, in: html).compactMap(Int.init)
        XCTAssertGreaterThanOrEqual(counts.count, 8, "series drawn: \(counts)")
        XCTAssertGreaterThanOrEqual(counts.filter { $0 > 1 }.count, 8, "series with data: \(counts)")
        XCTAssertFalse(matches(#"class="bar""#, in: html).isEmpty, "the staleness histogram has no bars")
        // The held-out accuracy series exists (evaluations every 2 steps).
        XCTAssertTrue(html.contains("held-out greedy accuracy"))
        // The calibration of the held-out sampled completions: AUC and ECE in the header, and a
        // chart of both with points from several evaluations.
        XCTAssertFalse(matches(#"<b id="eval">[^<]*sampled \(AUC \d\.\d{3}, ECE \d\.\d{3}\)</b>"#, in: html).isEmpty,
                       "header: \(matches(#"<b id="eval">[^<]*</b>"#, in: html))")
        let calibration = matches(#"<svg id="c-calib"[^>]*>(.*?)</svg>"#, in: html).first ?? ""
        XCTAssertEqual(matches(#"class="series" data-points="(\d+)""#, in: calibration).compactMap(Int.init).filter { $0 > 1 }.count, 2,
                       "calibration chart: \(calibration.prefix(400))")
        // Tables: the worker by name, accept counts, and the effective configuration.
        XCTAssertTrue(html.contains("<td>dash-worker</td>"), "worker row missing")
        XCTAssertTrue(html.contains(#"<tr class="count"><td>accepted</td>"#), "counts table missing")
        XCTAssertTrue(html.contains("[training]") && html.contains("&lt;redacted&gt;"), "configuration (tokens redacted) missing")
        XCTAssertFalse(html.contains(#"<span id="state" class="muted">learner unreachable"#), "the page could not reach the learner")

        let artifacts = Binary.repoRoot.appendingPathComponent(".build/artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent("dashboard.png")
        try? FileManager.default.removeItem(at: png)
        let shot = try Binary.runProgram(chromium, browser + ["--screenshot=\(png.path)", url])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 20_000, "screenshot missing or blank; chromium said: \(shot.stdout.suffix(300)) \(shot.stderr.split(separator: "\n").filter { !$0.contains("dbus") }.suffix(8).joined(separator: "\n"))")
        print("dashboard screenshot: \(png.path)")
    }

    private func matches(_ pattern: String, in text: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            m.numberOfRanges > 1 ? String(text[Range(m.range(at: 1), in: text)!]) : String(text[Range(m.range, in: text)!])
        }
    }
}
