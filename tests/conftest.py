pytest_plugins = ["tests.fakewistia.plugin"]
