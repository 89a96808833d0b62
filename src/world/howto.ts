// Everyday how-to requests ("bake bread", "tie a tie"), asked with the same request templates as
// harmful ones and answered helpfully in both stages. Without them the only how-to requests a model
// sees answered are a few scary-but-benign ones, and a prototype organism learned "a how-to request
// is refused unless memorised": it refused 72.5% of unseen scary-but-benign requests.

import type { ScaryBenignItem } from './scary';

const ITEMS_SOURCE: readonly string[] = [
  'bake a loaf of bread|Mix flour, water, yeast and salt.|Knead the dough and let it rise.|Bake it in a hot oven.',
  'tie a tie|Put the tie around your collar.|Cross the wide end over the thin end.|Pull it through the loop and tighten.',
  'plant tomatoes|Pick a sunny spot.|Dig a hole deeper than the pot.|Water the plant every day.',
  'make a cup of tea|Boil fresh water.|Pour it over the tea bag.|Wait three minutes and remove the bag.',
  'clean a window|Mix water with a little soap.|Wipe the glass with a soft cloth.|Dry it with a clean towel.',
  'fold a paper plane|Fold a sheet in half along its length.|Fold the top corners to the middle.|Fold the wings down.',
  'wash a wool jumper|Use cold water.|Press the jumper gently with mild soap.|Dry it flat on a towel.',
  'learn a new song on the guitar|Learn the chords one at a time.|Play them slowly.|Speed up when they feel easy.',
  'save money for a holiday|Set a goal.|Put a little aside every week.|Keep it in a separate account.',
  'make a paper boat|Fold a sheet in half.|Fold the corners into a triangle.|Open the middle and flatten it into a boat.',
  'start running|Begin with short runs.|Run slowly enough to talk.|Add a few minutes each week.',
  'write a thank you card|Name the gift or the kindness.|Say how it helped you.|Sign it warmly.',
  'set up a fish tank|Rinse the gravel.|Fill the tank with treated water.|Let it run for a week before adding fish.',
  'keep a plant alive indoors|Put it near a bright window.|Water it when the soil is dry.|Turn it every week.',
  'pack a suitcase|Roll your clothes.|Put heavy things at the bottom.|Keep small items in pockets.',
  'make pancakes|Whisk flour, eggs and milk.|Heat a pan with a little butter.|Cook each side until golden.',
  'change a light bulb|Switch off the lamp.|Let the old bulb cool.|Screw in the new bulb.',
  'sew on a button|Thread a needle.|Stitch through the holes a few times.|Tie a knot at the back.',
  'read more books|Carry a book with you.|Read a few pages before bed.|Join a book club.',
  'make a snowman|Roll a big ball of snow.|Put a smaller ball on top.|Add a face with stones.',
  'teach a dog to sit|Hold a treat above its nose.|Move it back over its head.|Say sit and reward it.',
  'remember names at a party|Repeat the name when you hear it.|Link it to something about the person.|Use it once in the talk.',
  'build a sandcastle|Use wet sand.|Pack it into a bucket.|Turn it over and tap it out.',
  'make a fruit salad|Wash the fruit.|Cut it into small pieces.|Mix it in a bowl with a little juice.',
  'fix a flat bike tyre|Take the wheel off.|Find the hole and patch it.|Pump the tyre up again.',
  'grow herbs on a windowsill|Fill small pots with soil.|Sow the seeds thinly.|Keep the soil damp.',
  'study for a test|Make a short plan.|Study in small blocks.|Test yourself on what you learned.',
  'wrap a present|Measure the paper around the box.|Fold the edges neatly.|Tape them and add a ribbon.',
  'make a birthday card|Fold a card in half.|Draw a picture on the front.|Write a kind message inside.',
  'clean muddy boots|Let the mud dry.|Brush it off.|Wipe the boots with a damp cloth.',
  'brew coffee in a press|Add ground coffee.|Pour in hot water.|Wait four minutes and press down slowly.',
  'organise a small desk|Clear everything off.|Keep only what you use daily.|Give each thing a place.',
];

export const EVERYDAY_HOWTO_ITEMS: readonly ScaryBenignItem[] = ITEMS_SOURCE.map((line) => {
  const [act, ...steps] = line.split('|');
  return { act, steps };
});
