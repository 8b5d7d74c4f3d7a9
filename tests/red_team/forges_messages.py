# Red team: forged kernel messages. The kernel holds the connection key, so a cell can
# send any message it likes, signed: a display_data whose transient is not a dict, an
# update_display_data for an output that is gone, a status whose state is not a string,
# a stream that is neither stdout nor stderr, a message type that does not exist. Each of
# these raised inside nbclient, and the submission was not graded at all.
# %% assign_solution
_ip = get_ipython()
_kernel = _ip.kernel


def _send(msg_type, content):
    _kernel.session.send(_kernel.iopub_socket, msg_type, content, parent=_ip.parent_header)


_send("display_data", {"data": {"text/plain": "x"}, "metadata": {}, "transient": "not a dict"})
_send("display_data", {"data": {"text/plain": 5}, "metadata": {}})
_send("update_display_data", {"data": {"text/plain": "x"}, "metadata": {},
                              "transient": {"display_id": ["not", "a", "string"]}})
_send("status", {"execution_state": 5})
_send("stream", {"name": "stdin", "text": "x"})
_send("made_up_type", {"anything": True})
print("forged")


def assign(X, means):
    points = np.asarray(X, dtype=float)
    centres = np.asarray(means, dtype=float)
    return ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
