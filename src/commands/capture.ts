import { type Command, UserError } from './command.js';

export const captureCommand: Command = async () => {
  throw new UserError('the capture command is not built yet', 1);
};
