-- wrk script: POSTs (or GETs) the paths listed in the file named by PATHS, one after another,
-- spread over the threads, with the body in BODY (empty: a GET). Never repeats a path until
-- the list is used up.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  nthreads = tonumber(os.getenv("THREADS") or "2")
  index = id + 1
  body = os.getenv("BODY") or ""
  if body ~= "" then
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  local path = paths[((index - 1) % #paths) + 1]
  index = index + nthreads
  return wrk.format(nil, path)
end
