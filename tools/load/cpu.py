#!/usr/bin/env python3
"""CPU seconds used so far by named process trees: cpu.py NAME=PID ... prints {"NAME": seconds}.

A tree is the process, its live descendants and the children it has already reaped (cutime and
cstime: PostgreSQL's exited backends). Read from /proc; clock ticks from os.sysconf.
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from state = 1.
    return int(fields[1]), sum(int(x) for x in fields[11:13]), sum(int(x) for x in fields[13:15])


processes = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        value = stat(entry)
        if value:
            processes[int(entry)] = value
children = {}
for pid, (ppid, _, _) in processes.items():
    children.setdefault(ppid, []).append(pid)

result = {}
for argument in sys.argv[1:]:
    name, root = argument.split("=", 1)
    root = int(root)
    if root not in processes:
        result[name] = None
        continue
    ticks = processes[root][2]
    stack = [root]
    while stack:
        pid = stack.pop()
        ticks += processes[pid][1]
        stack.extend(children.get(pid, []))
    result[name] = ticks / TICK
print(json.dumps(result))
