-- Job helpers, prepended (after lib.lua) to every job script. JOB_FIELDS, the job row's fields in
-- order, is defined just before this file, generated from hexaspin_core::job::row::JOB_COLUMNS.
local PRIORITY_WEIGHT = 100000000000000 -- 1e14: priority dominates, then dispatch order (seq)

local function job_key(id) return P .. 'job:' .. id end

-- What a key holds: its jobs in `scheduled` and the bytes of its stored payloads (the storage
-- caps of lib_dispatch.lua read it; move() and forget_job() keep it exact).
local function keyuse_key(key_id) return P .. 'keyuse:' .. key_id end

-- The job's fields in JOB_FIELDS order ('' for unset), appended to out; false if no such job.
local function push_job(out, id)
  local values = redis.call('HMGET', job_key(id), unpack(JOB_FIELDS))
  if not values[1] then return false end
  for i = 1, #JOB_FIELDS do out[#out + 1] = values[i] or '' end
  return true
end

-- Adds one to a /metrics counter of the job's kind: field "<counter>|<kind>[|<extra>]", as
-- hexaspin_core::metrics::Series writes it (the SQLite triggers of migration 0003 do the same).
local function count_job(id, counter, extra)
  local field = counter .. '|' .. redis.call('HGET', job_key(id), 'kind')
  if extra then field = field .. '|' .. extra end
  redis.call('HINCRBY', P .. 'counters', field, 1)
end

-- OUTCOME_COUNTERS, the counter a move into each state adds to, is defined before this file,
-- generated from hexaspin_core::metrics::counted_states (a shutdown handing a job back to the
-- queue and an admin retrying a dead job count nothing; the rescuer counts its retries itself).

-- Moves a job between states, keeping the per-state index, the depth counters and the /metrics
-- counters in step.
local function move(id, from, to, priority, seq)
  if (from == 'scheduled') ~= (to == 'scheduled') then
    local held = keyuse_key(redis.call('HGET', job_key(id), 'key_id'))
    redis.call('HINCRBY', held, 'scheduled', to == 'scheduled' and 1 or -1)
  end
  if from then
    redis.call('ZREM', P .. 'state:' .. from, id)
    redis.call('HINCRBY', P .. 'depth', from .. ':' .. priority, -1)
  end
  if to then
    redis.call('ZADD', P .. 'state:' .. to, seq, id)
    redis.call('HINCRBY', P .. 'depth', to .. ':' .. priority, 1)
    redis.call('HSET', job_key(id), 'state', to)
    local counter = OUTCOME_COUNTERS[to]
    if not from then
      count_job(id, 'jobs_enqueued')
    elseif counter and from ~= to then
      count_job(id, counter, counter == 'jobs_failed' and to or nil)
    end
  end
end

-- Deletes a job's hash, giving its payload's bytes back to its key (after move(id, state, nil)).
local function forget_job(id, key_id)
  if key_id then redis.call('HINCRBY', keyuse_key(key_id), 'bytes', -redis.call('HSTRLEN', job_key(id), 'payload')) end
  redis.call('DEL', job_key(id))
end

local function ready_score(priority, seq) return tonumber(priority) * PRIORITY_WEIGHT + tonumber(seq) end

-- Each kind has its own ready queue, so that a worker claims only the kinds it has loaded.
local function ready_key(kind) return P .. 'ready:' .. kind end

-- Jobs a claim found waiting behind their key's concurrency limit leave the ready queues for
-- their key's parked set (same score), so claims do not step over them again and again and a
-- long backlog of one key cannot hide other keys' jobs from the claim's window.
local function parked_key(key_id) return P .. 'parked:' .. key_id end

-- Puts a waiting job in its kind's ready queue.
local function enqueue_ready(id, priority, seq)
  redis.call('ZADD', ready_key(redis.call('HGET', job_key(id), 'kind')), ready_score(priority, seq), id)
end

-- Takes a waiting job out of the queue it waits in (its kind's ready queue or its key's parked set).
local function dequeue(id, kind, key_id)
  redis.call('ZREM', ready_key(kind), id)
  redis.call('ZREM', parked_key(key_id), id)
end

-- Gives parked jobs of a key back to the ready queues, as many as the key has free slots (at least
-- one), oldest first: called whenever one of the key's jobs stops running or stops waiting.
local function unpark(key_id)
  local parked = parked_key(key_id)
  local first = redis.call('ZRANGE', parked, 0, 0)[1]
  if not first then return end
  local cap = num(redis.call('HGET', job_key(first), 'concurrency_limit')) or 1
  local running = tonumber(redis.call('GET', P .. 'running:' .. key_id) or '0')
  local back = redis.call('ZPOPMIN', parked, math.max(cap - running, 1))
  for i = 1, #back, 2 do
    redis.call('ZADD', ready_key(redis.call('HGET', job_key(back[i]), 'kind')), back[i + 1], back[i])
  end
end

-- Leaves the running set: lease index and the key's running counter; a slot of the key is free.
local function stop_running(id, key_id)
  redis.call('ZREM', P .. 'leases', id)
  local left = redis.call('DECR', P .. 'running:' .. key_id)
  if left <= 0 then redis.call('DEL', P .. 'running:' .. key_id) end
  redis.call('HDEL', job_key(id), 'lease_owner', 'lease_expires_at_ms')
  unpark(key_id)
end

local function finish(id, now)
  redis.call('HSET', job_key(id), 'finished_at_ms', fmt(now), 'updated_at_ms', fmt(now))
  redis.call('ZADD', P .. 'finished', now, id)
end

-- Records a held job's success (ack.lua, ack_many.lua): 1 if `worker` held it, else 0.
local function ack_one(id, worker, result, now)
  local job = redis.call('HMGET', job_key(id), 'state', 'lease_owner', 'key_id', 'priority', 'seq')
  if job[1] ~= 'running' or job[2] ~= worker then return 0 end
  stop_running(id, job[3])
  redis.call('HSET', job_key(id), 'result', result)
  move(id, 'running', 'succeeded', job[4], job[5])
  finish(id, now)
  return 1
end

-- Cancels job `id` at `now`: waiting jobs at once, running ones marked for their worker, finished
-- ones left alone. Returns the job's fields, or {} if there is none.
local function cancel_one(id, now)
  local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq', 'kind', 'key_id')
  local state, priority, seq = job[1], job[2], job[3]
  if not state then return {} end
  if state == 'scheduled' or state == 'retrying' or state == 'queued' then
    redis.call('ZREM', P .. 'delayed', id)
    dequeue(id, job[4], job[5])
    redis.call('HDEL', job_key(id), 'run_at_ms')
    move(id, state, 'cancelled', priority, seq)
    finish(id, now)
    -- It may have been the job unparked for a free slot: the next parked one takes that slot.
    if state == 'queued' then unpark(job[5]) end
  elseif state == 'running' then
    redis.call('HSET', job_key(id), 'cancel_requested', 1, 'updated_at_ms', fmt(now))
  end
  local out = {}
  push_job(out, id)
  return out
end
