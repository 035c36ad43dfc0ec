"""Mirror the Wistia account into the database: the crawl, one media at a time, play counts."""
