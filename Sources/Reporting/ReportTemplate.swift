/// The Mustache template of `index.html`. `{{x}}` escapes HTML; the only unescaped insertion
/// (`{{{dataJSON}}}`) is JSON whose `<`, `>` and `&` are already `\u`-escaped. Dynamic text set from
/// JavaScript uses `textContent`, never `innerHTML`.
enum ReportTemplate {
    static let html = #"""
\#(PageStyle.documentHead)
  :root { --fg: #1d2330; --muted: #5d6677; --line: #d9dee7; --accent: #1f6feb; --label: #8a8f98; --bad: #d1242f; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
  header, section { max-width: 1200px; margin: 0 auto; padding: 12px 20px; }
  header h1 { font-size: 20px; margin: 12px 0 4px; word-break: break-all; }
  h2 { font-size: 16px; margin: 18px 0 8px; }
  .cards { display: flex; flex-wrap: wrap; gap: 10px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
  .card b { display: block; font-size: 18px; }
  .card span { color: var(--muted); font-size: 12px; }
  .panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px; }
  svg#timeline { width: 100%; height: auto; cursor: crosshair; }
  svg text { font-size: 11px; fill: var(--muted); }
  .viewer { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 8px; }
  .viewer figure { margin: 0; }
  .viewer img { width: 100%; height: auto; display: block; border-radius: 4px; background: #ddd; }
  .viewer figcaption { color: var(--muted); font-size: 12px; text-align: center; }
  .controls { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
  button { font: inherit; padding: 3px 12px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
  .reviews { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
  .thumbs { display: flex; flex-wrap: wrap; gap: 6px; }
  .thumb { width: 128px; cursor: pointer; font-size: 11px; color: var(--muted); }
  .thumb img { width: 128px; height: auto; display: block; border-radius: 3px; }
  table { border-collapse: collapse; background: #fff; }
  td, th { border: 1px solid var(--line); padding: 3px 8px; text-align: left; font-variant-numeric: tabular-nums; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; background: #fff; padding: 10px; border: 1px solid var(--line); border-radius: 6px; }
  dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
  .legend span { margin-right: 14px; font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>{{title}}</h1>
  <div class="cards">{{#cards}}<div class="card"><b>{{value}}</b><span>{{label}}</span></div>{{/cards}}</div>
</header>

<section id="timeline-section">
  <h2>Steering timeline</h2>
  <div class="panel">
    <div class="legend"><span style="color:var(--accent)">━ prediction</span>{{#labelPoints}}<span style="color:var(--label)">━ label</span>{{/labelPoints}}<span style="color:var(--bad)">● largest errors / hardest steering</span><span>▮ current frame — click to jump</span></div>
    <svg id="timeline" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="steering over time">
      {{#yTicks}}<line x1="48" x2="948" y1="{{position}}" y2="{{position}}" stroke="#eef1f5"/><text x="4" y="{{position}}" dy="4">{{label}}</text>{{/yTicks}}
      {{#xTicks}}<text x="{{position}}" y="234" text-anchor="middle">{{label}}</text>{{/xTicks}}
      <line x1="48" x2="948" y1="{{zeroY}}" y2="{{zeroY}}" stroke="#b8c0cc"/>
      {{#labelPoints}}<polyline points="{{.}}" fill="none" stroke="#8a8f98" stroke-width="1.5"/>{{/labelPoints}}
      <polyline points="{{predictionPoints}}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>
      {{#markers}}<circle cx="{{x}}" cy="{{y}}" r="4" fill="#d1242f" data-frame="{{frame}}"><title>{{title}}</title></circle>{{/markers}}
      <line id="cursor" x1="48" x2="48" y1="12" y2="212" stroke="#1d2330" stroke-width="1.5"/>
    </svg>
  </div>
</section>

{{#hasImages}}
<section id="viewer-section">
  <h2>Frame viewer</h2>
  <div class="panel">
    <div class="controls"><button id="previous" type="button">◀ previous</button><button id="next" type="button">next ▶</button><span id="frame-info"></span><span style="color:var(--muted)">(← → keys)</span></div>
    {{#hasMethods}}<div class="controls" id="method-switch"><span>method:</span>{{#methods}}<button type="button" class="method-button" data-method="{{name}}">{{name}}</button>{{/methods}}<span style="color:var(--muted)">(m key: next method; link with #method=name)</span></div>{{/hasMethods}}
    <div class="viewer">
      <figure><img id="view-frame" alt="original frame"><figcaption>frame</figcaption></figure>
      {{#kinds}}<figure{{#method}} data-method="{{.}}"{{/method}}><img class="view-map" data-kind="{{name}}" alt="{{name}} overlay"><figcaption>{{name}}</figcaption></figure>{{/kinds}}
    </div>
  </div>
</section>
{{/hasImages}}
{{^hasImages}}<section><p>No overlay images were written for this run (<code>--png-every 0</code>).</p></section>{{/hasImages}}

{{#video}}<section><h2>Panel video</h2><div class="panel"><video src="{{.}}" controls style="width:100%"></video></div></section>{{/video}}

<section id="review-section">
  <h2>Frames to review</h2>
  <div class="reviews">
  {{#reviews}}<div class="panel"><h3 style="font-size:14px;margin:0 0 6px">{{title}}</h3><div class="thumbs">
    {{#items}}<div class="thumb" data-frame="{{frame}}">{{#thumbnail}}<img src="{{.}}" alt="frame thumbnail" loading="lazy">{{/thumbnail}}{{caption}}</div>{{/items}}
  </div></div>{{/reviews}}
  </div>
</section>

{{#faithfulness}}
FAITHFULNESS_SECTION
{{/faithfulness}}

<section id="statistics-section">
  <h2>Statistics</h2>
  <div class="reviews">
    <div><h3 style="font-size:14px">Per second</h3>
      <table><tr><th>second</th><th>frames</th><th>mean prediction</th><th>MAE</th></tr>{{#perSecond}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/perSecond}}</table></div>
    <div><h3 style="font-size:14px">Where the importance lies (model input)</h3>
      <table><tr><th>map</th><th>upper ⅓</th><th>middle ⅓</th><th>lower ⅓</th><th>left ½</th><th>right ½</th></tr>{{#regionShares}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/regionShares}}</table>
      <p id="region-definition" style="color:var(--muted);font-size:12px;max-width:520px">Shares of each map's own attribution magnitude, summed over the model-input pixels of each region and averaged over frames: for the gradient maps the positive part of the modified gradient's channel maximum, max(0, max<sub>c</sub> modifier(∂y/∂x)) — where the prediction would rise (increase) or fall (decrease); maintain is 1/|∂y/∂x|, dominated by the flattest pixels. Not the display maps, whose min-max scaling puts a zero gradient mid-scale. A middle column of an odd width counts half to each side.</p></div>
  </div>
</section>

<section id="model-section">
  <h2>Model card and run</h2>
  <dl>{{#settings}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/settings}}{{#lambdas}}<dt>lambda</dt><dd>{{.}}</dd>{{/lambdas}}</dl>
  <h3 style="font-size:14px">Layers</h3>
  <table><tr><th>layer</th><th>class</th><th>output shape</th><th>parameters</th></tr>{{#layers}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/layers}}</table>
</section>

<script type="application/json" id="steerlens-data">{{{dataJSON}}}</script>
{{#hasMethods}}<script>
(function () {
  "use strict";
  var buttons = document.querySelectorAll(".method-button"), figures = document.querySelectorAll("figure[data-method]"), chosen = 0;
  function choose(index) {
    chosen = (index + buttons.length) % buttons.length;
    var name = buttons[chosen].getAttribute("data-method");
    for (var i = 0; i < figures.length; i++) { figures[i].style.display = figures[i].getAttribute("data-method") === name ? "" : "none"; }
    for (var j = 0; j < buttons.length; j++) { buttons[j].style.fontWeight = j === chosen ? "bold" : "normal"; buttons[j].style.borderColor = j === chosen ? "#1f6feb" : ""; }
  }
  for (var k = 0; k < buttons.length; k++) { buttons[k].addEventListener("click", (function (index) { return function () { choose(index); }; })(k)); }
  document.addEventListener("keydown", function (event) { if (event.key === "m") { choose(chosen + 1); } });
  var start = 0, wanted = /^#method=(.+)$/.exec(window.location.hash);
  for (var b = 0; wanted && b < buttons.length; b++) { if (buttons[b].getAttribute("data-method") === decodeURIComponent(wanted[1])) { start = b; } }
  choose(start);
})();
</script>{{/hasMethods}}
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("steerlens-data").textContent);
  var shown = data.frames.filter(function (f) { return f.hasImages; });
  var cursor = document.getElementById("cursor");
  var current = 0;
  function pad(n) { var s = String(n); while (s.length < 6) { s = "0" + s; } return s; }
  function x(time) { return data.left + (data.right - data.left) * time / data.duration; }
  function show(index) {
    if (shown.length === 0) { return; }
    current = Math.max(0, Math.min(shown.length - 1, index));
    var f = shown[current], name = pad(f.frame) + ".png";
    document.getElementById("view-frame").src = "frames/" + name;
    var maps = document.querySelectorAll(".view-map");
    for (var i = 0; i < maps.length; i++) { maps[i].src = maps[i].getAttribute("data-kind") + "/" + name; }
    var text = "frame " + f.frame + " · " + f.time.toFixed(2) + " s · prediction " + f.prediction.toFixed(4);
    if (f.label !== null && f.label !== undefined) { text += " · label " + f.label.toFixed(4) + " · error " + f.error.toFixed(4); }
    document.getElementById("frame-info").textContent = text;
    cursor.setAttribute("x1", x(f.time)); cursor.setAttribute("x2", x(f.time));
  }
  function showFrame(frame) {
    var best = 0;
    for (var i = 0; i < shown.length; i++) { if (Math.abs(shown[i].frame - frame) < Math.abs(shown[best].frame - frame)) { best = i; } }
    show(best);
    var viewer = document.getElementById("viewer-section");
    if (viewer) { viewer.scrollIntoView({ behavior: "smooth" }); }
  }
  var svg = document.getElementById("timeline");
  svg.addEventListener("click", function (event) {
    if (shown.length === 0) { return; }
    var box = svg.getBoundingClientRect();
    var position = (event.clientX - box.left) / box.width * svg.viewBox.baseVal.width;
    var time = (position - data.left) / (data.right - data.left) * data.duration;
    var best = 0;
    for (var i = 0; i < shown.length; i++) { if (Math.abs(shown[i].time - time) < Math.abs(shown[best].time - time)) { best = i; } }
    show(best);
  });
  var targets = document.querySelectorAll("[data-frame]");
  for (var i = 0; i < targets.length; i++) {
    targets[i].addEventListener("click", function (event) { event.stopPropagation(); showFrame(Number(this.getAttribute("data-frame"))); });
  }
  var previous = document.getElementById("previous"), next = document.getElementById("next");
  if (previous) { previous.addEventListener("click", function () { show(current - 1); }); }
  if (next) { next.addEventListener("click", function () { show(current + 1); }); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { show(current - 1); } else if (event.key === "ArrowRight") { show(current + 1); }
  });
  show(0);
})();
</script>
</body>
</html>
"""#
}
