// Helper function ids (enum bpf_func_id). Names are the C names without the bpf_ prefix.
export enum Helper {
  unspec = 0, map_lookup_elem = 1, map_update_elem = 2, map_delete_elem = 3, probe_read = 4, ktime_get_ns = 5,
  trace_printk = 6, get_prandom_u32 = 7, get_smp_processor_id = 8, tail_call = 12, get_current_pid_tgid = 14,
  get_current_uid_gid = 15, get_current_comm = 16, perf_event_output = 25, get_stackid = 27,
  get_current_task = 35, probe_read_str = 45, get_stack = 67, get_current_cgroup_id = 80, map_push_elem = 87,
  map_pop_elem = 88, map_peek_elem = 89, send_signal = 109, probe_read_user = 112, probe_read_kernel = 113,
  probe_read_user_str = 114, probe_read_kernel_str = 115, ktime_get_boot_ns = 125, ringbuf_output = 130,
  ringbuf_reserve = 131, ringbuf_submit = 132, ringbuf_discard = 133, ringbuf_query = 134, loop = 181,
}
