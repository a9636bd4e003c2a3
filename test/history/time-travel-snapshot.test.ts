import { describeEachDatabase, WITH_SNAPSHOT } from '../support/gateway';
import { timeTravel } from './time-travel.scenario';

describeEachDatabase('time travel over the change log, reading the snapshot', timeTravel, WITH_SNAPSHOT, ', snapshot');
