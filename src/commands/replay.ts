import { type Command, UserError } from './command.js';

export const replayCommand: Command = async () => {
  throw new UserError('the replay command is not built yet', 1);
};
