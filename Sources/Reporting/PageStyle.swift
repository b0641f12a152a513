/// What the SteerLens pages share: the document head up to the open `<style>` (Mustache fills
/// `{{title}}`), and the base CSS of the comparison, fleet and stress pages (page frame, headings, the
/// pass/fail verdict, tables), inserted first so each page's own rules follow it.
enum PageStyle {
    static let documentHead = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
"""#

    static let base = #"""
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0; background: #f6f8fa; }
  header, section { max-width: 1200px; margin: 0 auto; padding: 12px 20px; }
  h1 { font-size: 20px; margin: 12px 0 4px; } h2 { font-size: 16px; margin: 18px 0 8px; }
  .verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; display: inline-block; }
  .pass { background: #dafbe1; color: #116329; } .fail { background: #ffebe9; color: #a40e26; }
  table { border-collapse: collapse; background: #fff; }
  td, th { border: 1px solid #d9dee7; padding: 3px 8px; text-align: left; font-variant-numeric: tabular-nums; }
"""#
}
