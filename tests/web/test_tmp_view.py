from tests.web.test_privacy import _admin, planted  # noqa: F401
import re
def test_v(app, planted):
    c = _admin(app)
    for url in ["/privacy?q=zelda", f"/privacy/candidates/{planted['candidate']}", "/privacy/retention"]:
        body = c.get(url).get_data(as_text=True)
        main = body.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]
        print("=====", url); print(re.sub(r"\n\s*\n+", "\n", main)[:3500])
