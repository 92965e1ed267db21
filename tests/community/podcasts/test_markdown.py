from community.podcasts.markdown import render_markdown


def test_render_markdown_keeps_formatting_and_links():
    html = render_markdown("**Bold** and [docs](https://kubernetes.io)")
    assert html == (
        '<p><strong>Bold</strong> and <a href="https://kubernetes.io" rel="noopener noreferrer nofollow">docs</a></p>'
    )


def test_render_markdown_strips_scripts_and_javascript_links():
    html = render_markdown("<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
