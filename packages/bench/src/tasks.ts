import { builtinTasks, createContainer, loadFileTask, TASK_REGISTRY, type TaskData, type TaskProvider } from '@tunelab/core';

export function taskProviders(): TaskProvider[] {
  return builtinTasks();
}

/** A named task or `file:<path>` (user data, relative to cwd). */
export async function loadTask(name: string, cache: string, providers: TaskProvider[] = taskProviders()): Promise<TaskData> {
  if (name.startsWith('file:')) return loadFileTask(name.slice('file:'.length), process.cwd());
  const registry = createContainer({ methods: [], tasks: providers }).get(TASK_REGISTRY);
  return registry.get(name).load({ cacheDir: cache });
}
