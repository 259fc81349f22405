// The learner's dashboard: `GET /` is one self-contained HTML page (inline CSS and a small
// script, no CDN, no fetch beyond this learner) that polls `/status`, `/history` and
// `/config` every 2 s and draws SVG charts — accuracy and reward against groups trained, the
// calibration (AUC, ECE) of held-out sampled completions, ratio tail quantiles, KL and entropy,
// λ of the objective, the staleness histogram, ingest and training throughput — plus the
// workers table, accept/reject counts and the effective configuration. `GET /history[?since=STEP]`
// is the per-step record (TrainingLoop.history); `GET /config` the effective TOML with tokens
// redacted.

import Foundation
import Transport

extension StatusService {
    /// Registers `/`, `/history` and `/config` on `server`.
    func registerDashboard(on server: TransportServer) throws {
        try server.registerImmediateGET(path: "/", auth: adminAuth) { _ in
            HTTPResponse(contentType: "text/html; charset=utf-8", text: DashboardPage.html)
        }
        try server.registerImmediateGET(path: "/history", auth: adminAuth) { [node] request in
            let since = request.query.split(separator: "&").compactMap { part -> Int? in
                let kv = part.split(separator: "=", maxSplits: 1)
                return kv.count == 2 && kv[0] == "since" ? Int(kv[1]) : nil
            }.first ?? -1
            let enc = JSONEncoder()
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let body = (try? enc.encode(node.training.history(since: since))) ?? Data("[]".utf8)
            return HTTPResponse(contentType: "application/json", body: [UInt8](body))
        }
        let config = node.config.toml   // tokens are redacted in `toml`
        try server.registerImmediateGET(path: "/config", auth: adminAuth) { _ in
            HTTPResponse(contentType: "text/plain; charset=utf-8", text: config)
        }
    }
}

enum DashboardPage {
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Tributary learner</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
    body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
    header{background:#1d2430;color:#fff;padding:10px 18px;display:flex;gap:22px;flex-wrap:wrap;align-items:baseline}
    header h1{font-size:18px;margin:0 12px 0 0} header span b{color:#9fd3ff}
    main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px;padding:14px}
    section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 12px}
    section h2{font-size:14px;margin:0 0 6px} svg{width:100%;height:190px}
    table{border-collapse:collapse;width:100%} td,th{padding:3px 6px;border-bottom:1px solid #eef0f4;text-align:left}
    .live{color:#1a7f37} .stale{color:#cf222e} pre{max-height:300px;overflow:auto;font-size:12px;margin:0}
    .legend span{margin-right:10px} .wide{grid-column:1/-1} .muted{color:#777}
    #health{background:#fff1e5;border:1px solid #cf222e;color:#6e1a12;margin:14px 14px 0;padding:8px 12px;border-radius:6px}
    </style></head><body>
    <header><h1>Tributary learner</h1><span>version <b id="version">–</b></span><span>step <b id="step">–</b></span>
    <span>task <b id="task">–</b></span><span>objective <b id="objective">–</b></span><span>held-out <b id="eval">–</b></span>
    <span>buffered <b id="buffered">–</b></span><span>uptime <b id="uptime">–</b></span><span id="state" class="muted"></span></header>
    <div id="health" hidden></div>
    <main>
    <section><h2>Accuracy and reward vs groups trained</h2><svg id="c-acc" data-chart="accuracy"></svg><div class="legend" id="l-acc"></div></section>
    <section><h2>Calibration of held-out sampled completions</h2><svg id="c-calib" data-chart="calibration"></svg><div class="legend" id="l-calib"></div></section>
    <section><h2>Importance-ratio tail quantiles</h2><svg id="c-ratio" data-chart="ratio"></svg><div class="legend" id="l-ratio"></div></section>
    <section><h2>KL to the behaviour policy, entropy</h2><svg id="c-kl" data-chart="kl"></svg><div class="legend" id="l-kl"></div></section>
    <section><h2>λ of the objective / mean staleness</h2><svg id="c-lambda" data-chart="lambda"></svg><div class="legend" id="l-lambda"></div></section>
    <section><h2>Staleness of accepted groups (versions)</h2><svg id="c-stale" data-chart="staleness"></svg></section>
    <section><h2>Throughput: ingest groups/s, training ktokens/s</h2><svg id="c-tput" data-chart="throughput"></svg><div class="legend" id="l-tput"></div></section>
    <section class="wide"><h2>Workers</h2><table id="workers"><thead><tr><th>id</th><th>name</th><th>address</th><th>seen</th>
    <th>version</th><th>leases held</th><th>groups submitted</th></tr></thead><tbody></tbody></table></section>
    \(RewardDashboard.section)
    <section><h2>Accepted and rejected groups</h2><table id="counts"><tbody></tbody></table></section>
    <section><h2>Configuration in effect</h2><pre id="config"></pre></section>
    </main>
    <script>
    "use strict";
    const colors = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df"];
    const $ = id => document.getElementById(id);
    let history = [];
    \(RewardDashboard.script)

    // A line chart: series = [{name, points: [[x, y], ...]}].
    function lineChart(svg, legend, series) {
      const W = 400, H = 180, P = 34, pts = series.flatMap(s => s.points);
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      if (pts.length === 0) { svg.innerHTML = `<text x="10" y="20" fill="#777">no data yet</text>`; return; }
      const xs = pts.map(p => p[0]), ys = pts.map(p => p[1]);
      // y from 0 (or below, for negative data) on round ticks of 1, 2, 2.5 or 5 × 10^k (ChartAxis.swift).
      const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), lo = Math.min(0, ...ys), top = Math.max(...ys), hi = top - lo < 1e-9 ? lo + 1 : top;
      const raw = (hi - lo) / 4, p10 = Math.pow(10, Math.floor(Math.log10(raw))), step = [1, 2, 2.5, 5, 10].find(m => raw / p10 <= m * (1 + 1e-9)) * p10;
      const y0 = Math.floor(lo / step + 1e-9) * step, y1 = Math.ceil(hi / step - 1e-9) * step;
      const dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (Math.abs(step / p10 - 2.5) < 1e-9 ? 1 : 0));
      const X = x => P + (x - x0) / (x1 - x0) * (W - P - 8), Y = y => H - 18 - (y - y0) / (y1 - y0) * (H - 28);
      let g = `<line x1="${P}" y1="${H - 18}" x2="${W - 8}" y2="${H - 18}" stroke="#999"/><line x1="${P}" y1="8" x2="${P}" y2="${H - 18}" stroke="#999"/>`;
      for (let k = 0; y0 + k * step <= y1 + step / 2; k++) {
        const v = y0 + k * step;
        g += `<line x1="${P}" y1="${Y(v)}" x2="${W - 8}" y2="${Y(v)}" stroke="#eee"/><text class="ytick" x="2" y="${Y(v) + 3}" font-size="10">${(Math.abs(v) < step / 2 ? 0 : v).toFixed(dec)}</text>`;
      }
      g += `<text x="${P}" y="${H - 4}" font-size="10">${x0}</text><text x="${W - 40}" y="${H - 4}" font-size="10">${x1}</text>`;
      series.forEach((s, i) => {
        if (s.points.length === 0) return;
        const d = s.points.map((p, j) => `${j ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
        g += `<path class="series" data-points="${s.points.length}" d="${d}" fill="none" stroke="${colors[i]}" stroke-width="1.6"/>`;
      });
      svg.innerHTML = g;
      if (legend) legend.innerHTML = series.map((s, i) => `<span style="color:${colors[i]}">■ ${s.name}</span>`).join("");
    }

    function barChart(svg, entries) {
      const W = 400, H = 180;
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      if (entries.length === 0) { svg.innerHTML = `<text x="10" y="20" fill="#777">no groups yet</text>`; return; }
      const max = Math.max(...entries.map(e => e[1])), w = (W - 20) / entries.length;
      svg.innerHTML = entries.map(([k, v], i) => {
        const h = v / max * (H - 40);
        return `<rect class="bar" x="${10 + i * w + 2}" y="${H - 22 - h}" width="${w - 4}" height="${h}" fill="${colors[0]}"/>` +
               `<text x="${10 + i * w + w / 2 - 4}" y="${H - 8}" font-size="11">${k}</text>` +
               `<text x="${10 + i * w + w / 2 - 8}" y="${H - 26 - h}" font-size="10">${v}</text>`;
      }).join("");
    }

    const series = (name, key, xkey = "step") => ({ name, points: history.filter(p => p[key] != null).map(p => [p[xkey], p[key]]) });

    function draw(status) {
      $("version").textContent = status.version; $("step").textContent = status.step;
      $("task").textContent = status.task; $("objective").textContent = status.objective;
      $("eval").textContent = (status.evalGreedyAccuracy == null ? "–" : (100 * status.evalGreedyAccuracy).toFixed(1) + " %")
        + (status.evalSampledAccuracy == null ? "" : ` greedy, ${(100 * status.evalSampledAccuracy).toFixed(1)} % sampled`)
        + (status.evalSampledECE == null ? "" : ` (AUC ${status.evalSampledAUC == null ? "–" : status.evalSampledAUC.toFixed(3)}, ECE ${status.evalSampledECE.toFixed(3)})`);
      $("buffered").textContent = `${status.bufferedGroups}/${status.bufferCapacity}`;
      $("uptime").textContent = Math.round(status.uptimeSeconds) + " s";
      $("state").textContent = status.finished ? "training finished" : (status.sync ? "sync mode" : "async");
      lineChart($("c-acc"), $("l-acc"), [series("held-out greedy accuracy", "evalGreedyAccuracy", "groupsTrained"),
        series("held-out sampled accuracy", "evalSampledAccuracy", "groupsTrained"),
        series("batch accuracy", "accuracy", "groupsTrained"), series("batch reward", "reward", "groupsTrained")]);
      // Confidence = a sampled completion's sequence probability; AUC against correctness, ECE (10 bins).
      lineChart($("c-calib"), $("l-calib"), [series("AUC (confidence vs correct)", "evalSampledAUC", "groupsTrained"),
        series("expected calibration error", "evalSampledECE", "groupsTrained")]);
      lineChart($("c-ratio"), $("l-ratio"), [series("q99", "ratioQ99"), series("q99.9", "ratioQ999"), series("max", "ratioMax")]);
      lineChart($("c-kl"), $("l-kl"), [series("KL k3 (behaviour)", "klBehaviour"), series("entropy (nats)", "entropy")]);
      lineChart($("c-lambda"), $("l-lambda"), [series("λ", "lambda"), series("mean staleness", "meanStaleness")]);
      barChart($("c-stale"), Object.entries(status.stalenessHistogram).sort((a, b) => a[0] - b[0]));
      const ingest = history.slice(1).map((p, i) => [p.step, (p.groupsTrained - history[i].groupsTrained) / Math.max(1e-3, p.time - history[i].time)]);
      // Only steps with an update have a training throughput; the others are counted.
      const noUpdate = history.filter(p => p.updated === false).length;
      lineChart($("c-tput"), $("l-tput"), [{ name: "ingest groups/s", points: ingest },
        { name: `training ktokens/s (${noUpdate} steps without update)`,
          points: history.filter(p => p.tokensPerSecond != null).map(p => [p.step, p.tokensPerSecond / 1000]) }]);
      // Learning health (LearningHealth.swift): why learning cannot work, and what to do.
      const problem = status.stoppedBy || (status.learningHealth && status.learningHealth.problem);
      $("health").hidden = !problem;
      if (problem) $("health").textContent = (problem.kind === "collapse" ? "Held-out accuracy collapsed" : "No reward signal") +
        ` (step ${problem.step})${problem.stops ? ": training stopped" : ""}. ${problem.message}`;
      const now = Date.now() / 1000;
      $("workers").tBodies[0].innerHTML = status.workers.map(w => {
        const ago = now - w.lastSeen, cls = ago < 30 ? "live" : "stale";
        return `<tr class="worker"><td>${w.id}</td><td>${w.name}</td><td>${w.address}</td><td class="${cls}">${ago.toFixed(1)} s ago</td>` +
               `<td>${w.versionInUse ?? "–"}</td><td>${w.leasesHeld}</td><td>${w.groupsSubmitted}</td></tr>`;
      }).join("") || `<tr><td colspan="7" class="muted">no workers registered</td></tr>`;
      const rows = [["accepted", status.acceptedGroups], ["leases completed", status.leasesCompleted],
        ["trained", status.groupsTrained], ["leases re-issued", status.leasesReissued],
        ...Object.entries(status.rejectedGroups).map(([k, v]) => ["rejected: " + k, v])];
      drawRewardComponents(status);
      $("counts").tBodies[0].innerHTML = rows.map(([k, v]) => `<tr class="count"><td>${k}</td><td>${v}</td></tr>`).join("");
    }

    async function refresh() {
      try {
        const since = history.length ? history[history.length - 1].step : -1;
        const [s, h] = await Promise.all([fetch("/status").then(r => r.json()), fetch("/history?since=" + since).then(r => r.json())]);
        history = history.concat(h).slice(-2000);
        draw(s);
      } catch (e) { $("state").textContent = "learner unreachable: " + e; }
    }
    fetch("/config").then(r => r.text()).then(t => { $("config").textContent = t; });
    refresh();
    setInterval(refresh, 2000);
    </script></body></html>
    """
}
