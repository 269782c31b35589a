-- wrk script: POSTs the photo in $PHOTO as a raw image/jpeg body, each request with a unique
-- comment segment after the SOI marker, so every upload is new content (no file deduplication).
local file = assert(io.open(os.getenv("PHOTO"), "rb"))
local body = file:read("*a")
file:close()
local head, rest = body:sub(1, 2), body:sub(3)
local path = os.getenv("UPLOAD_PATH")
local headers = { ["Authorization"] = "Bearer " .. os.getenv("KEY"), ["Content-Type"] = "image/jpeg" }
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function request()
  counter = counter + 1
  local tag = string.format("%08d%08d", thread_number or 0, counter)
  return wrk.format("POST", path, headers, head .. "\255\254\0\18" .. tag .. rest)
end
