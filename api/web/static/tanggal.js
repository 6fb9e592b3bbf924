// Keeps the Indonesian text beside each date field in step with what the
// user picks (the field itself shows the browser's locale, often US). The
// page works without it: the server writes the same text on every render.
(function () {
  var hari = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
  var bulan = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
  var zona = (document.body.getAttribute("data-zona") || "");
  function teks(v) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(v);
    if (!m) return "";
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    var s = hari[d.getUTCDay()] + ", " + (+m[3]) + " " + bulan[+m[2] - 1] + " " + m[1];
    if (m[4]) s += " " + m[4] + ":" + m[5] + (zona ? " " + zona : "");
    return s;
  }
  document.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.matches || !el.matches("input[type=datetime-local], input[type=date]")) return;
    var out = document.getElementById("teks-" + el.name);
    if (out) out.textContent = teks(el.value);
  });
})();
