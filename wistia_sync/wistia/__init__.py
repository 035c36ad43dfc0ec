"""What Wistia says: the Data API client, its records read as untrusted input, and the crawl."""
