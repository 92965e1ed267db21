def test_favicon_ico_points_browsers_at_the_site_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, "/static/icons/favicon.svg")


def test_favicon_ico_refuses_writing_methods(client):
    assert client.post("/favicon.ico").status_code == 405
