"""Where Wistia plays a video: the URLs the published files and ``videos show`` give for it."""

EMBED_URL = "https://fast.wistia.net/embed/iframe/{hashed_id}"
HLS_URL = "https://fast.wistia.com/embed/medias/{hashed_id}.m3u8"
